"""Pages of this room (to be filled)."""

urlpatterns = []
