"""双报到: community needs lists, point rules and the service hours of reported members."""
