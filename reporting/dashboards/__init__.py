"""The burden dashboard (减负看板): what the module spared the grassroots, by department and month."""
