"""The idle timeout (空闲超时) without a database write per page view.

Django's way to keep a session alive while it is used is SESSION_SAVE_EVERY_REQUEST: every
page view UPDATEs its django_session row, the busiest write of the portal and one that makes
a person's parallel requests queue on the same row. Instead the session remembers when it was
last touched (`TOUCHED_AT_KEY`, seconds since the epoch) and is saved again — which moves its
expiry SESSION_IDLE_MINUTES forward, in the database and in the cache — only when that touch is
SESSION_TOUCH_SECONDS old or more, or when something else changed the session anyway.

The timeout is decided here, not by the store's expiry: a session whose last touch is
SESSION_IDLE_MINUTES old is flushed (logged out) before the view sees its user. As the touch
lags a person's last request by less than SESSION_TOUCH_SECONDS, the session ends between
SESSION_IDLE_MINUTES minus that and SESSION_IDLE_MINUTES after the last request: never later.
The store's own expiry (the row's expire_date, the cache entry's time to live) is set at every
save to the same SESSION_IDLE_MINUTES, so it is never earlier than this check and stays the
backstop (and what the nightly clean-up deletes by).
"""

import time

from django.conf import settings

TOUCHED_AT_KEY = "_touched_at"


class SessionTouchMiddleware:
    """Ends idle sessions and touches busy ones at most once per SESSION_TOUCH_SECONDS.

    Right after the SessionMiddleware, before anything reads `request.user`. A request without
    a session cookie reads no session (no `Vary: Cookie` added to public pages); a session
    saved during the request (a login, a message) is stamped as it is saved.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        now = time.time()
        touched_at = None
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            touched_at = session.get(TOUCHED_AT_KEY)
            if touched_at is not None and now - touched_at >= settings.SESSION_COOKIE_AGE:
                session.flush()  # idle too long: the view sees an anonymous visitor
                touched_at = None
        response = self.get_response(request)
        if session.is_empty():
            return response  # no session, or a logout: nothing to keep alive
        due = touched_at is None or now - touched_at >= settings.SESSION_TOUCH_SECONDS
        if due or session.modified:
            session[TOUCHED_AT_KEY] = int(now)  # marks it modified: the SessionMiddleware saves
        return response
