"""Pages of the registry, one module per concern; each module exports `urlpatterns`."""
