"""Alliances (党建联盟): agreements, members, needs/resources/projects lists, exchange circles."""
