from rest_framework import serializers


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object chosen by id must be visible to the requesting user.

    An id outside the scope reads as "does not exist" (400 with the field named), the same
    answer as a missing one.
    """

    def get_queryset(self):
        request = self.context["request"]
        return super().get_queryset().visible_to(request.user, "view")
