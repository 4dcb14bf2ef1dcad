"""The jurisdiction the rooms of reporting/ share: a community cadre's communities, read
through the registry's selector (grids decides who works where)."""

from grids.selectors import community_list


def my_communities(user):
    """Primary keys of the communities in `user`'s jurisdiction (a lazy subquery)."""
    return community_list(actor=user).values("pk")
