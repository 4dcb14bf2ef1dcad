"""街道管理 — the street administrator's pages: the street runs itself without a shell.

Wiring, like `portal/demo/`: these pages compose the writes of the modules that own the data
(`grids.writes.region_staff_grant`, `portal.writes.api_token_issue`, ...) and decide nothing
themselves; every page first asks `portal.policy.access_street_administration`.
"""
