"""`/api/v1/webhooks/`: a district system's own webhook subscriptions, and their deliveries."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from portal import selectors, writes
from portal.api.viewsets import ScopedModelViewSet
from portal.models import ApiToken, WebhookDelivery, WebhookEvent, WebhookSubscription


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=200,
        help_text="The HMAC-SHA256 signing secret; a random one is made when omitted.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "event_types", "active", "secret", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    """The answer to a new subscription: the secret, this once."""

    signing_secret = serializers.CharField(read_only=True)

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "signing_secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.event_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    payload = serializers.JSONField(source="event.payload", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "payload",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookSubscriptionViewSet(ScopedModelViewSet):
    """Each client manages its own subscriptions; another's is a 404."""

    queryset = WebhookSubscription.objects.all()
    selector = staticmethod(selectors.webhook_subscription_list)
    serializer_class = WebhookSubscriptionSerializer
    filterset_fields = ["active"]
    ordering_fields = ["created_at", "updated_at"]
    token_scope_group = "webhooks"  # noqa: S105 - a resource group, not a secret

    @extend_schema(responses={201: WebhookSubscriptionCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        subscription, secret = writes.webhook_subscription_create(
            actor=request.user, token=token, **serializer.validated_data
        )
        data = dict(WebhookSubscriptionSerializer(subscription).data, signing_secret=secret)
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = writes.webhook_subscription_update(
            actor=self.request.user, subscription=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        writes.webhook_subscription_delete(actor=self.request.user, subscription=instance)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The subscription's deliveries, newest first: each attempt counted."""
        subscription = self.get_object()
        rows = subscription.deliveries.select_related("event").order_by("-created_at", "-id")
        page = self.paginate_queryset(rows)
        data = WebhookDeliverySerializer(page, many=True).data
        return self.get_paginated_response(data)
