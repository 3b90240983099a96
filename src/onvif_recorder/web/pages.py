"""The web page's HTML: log in and out, the recordings page and a recording's page.

Pages are templates (``web/templates``) filled on the server with escaped values; the
lists and the player are drawn by the page's scripts (``web/static``) from the JSON API.
What a User may not do is not in the page at all: the add-camera form and the Start,
Stop and Delete buttons are sent only to callers with ACTUATE (the API checks again).
A page asked for without a session redirects to the login form.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from importlib import resources
from string import Template
from urllib.parse import quote

from aiohttp import web

from onvif_recorder.soap.security.access import AccessClass
from onvif_recorder.web.auth import json_error
from onvif_recorder.web.session_auth import (
    CSRF_FIELD,
    Caller,
    LoginRefused,
    WebAuth,
    clear_session_cookie,
    set_session_cookie,
)

HTML = "text/html"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; media-src 'self' blob:; "
                               "worker-src 'self' blob:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _template(name: str) -> Template:
    text = resources.files("onvif_recorder.web").joinpath("templates", name).read_text("utf-8")
    return Template(text)


def _fill(name: str, values: dict[str, str], fragments: dict[str, str] | None = None) -> str:
    """The template with ``values`` escaped and ``fragments`` (filled templates) as is."""
    escaped = {k: html.escape(v) for k, v in values.items()}
    return _template(name).substitute({**escaped, **(fragments or {})})


def _page(name: str, status: int = 200, fragments: dict[str, str] | None = None,
          **values: str) -> web.Response:
    body = _fill(name, values, fragments)
    return web.Response(text=body, content_type=HTML, status=status, headers=SECURITY_HEADERS)


def _local_path(target: str) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (open redirect;
    browsers read ``/\\host`` as ``//host``)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


class Pages:
    def __init__(self, auth: WebAuth, recording_exists: Callable[[str], bool]) -> None:
        self.auth = auth
        self.recording_exists = recording_exists

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/", self.recordings), web.get("/login", self.login_form),
                web.post("/login", self.log_in), web.post("/logout", self.log_out),
                web.get("/recordings/{token}", self.recording)]

    async def login_form(self, request: web.Request) -> web.Response:
        return _page("login.html", next=_local_path(request.query.get("next", "/")),
                     message="", username="")

    async def log_in(self, request: web.Request) -> web.Response:
        form = await request.post()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        target = _local_path(str(form.get("next", "/")))
        try:
            session = self.auth.log_in(request.remote or "?", username, password)
        except LoginRefused as refused:
            status = 429 if refused.retry_after else 401
            response = _page("login.html", status, next=target, message=refused.reason,
                             username=username)
            if refused.retry_after:
                response.headers["Retry-After"] = str(int(refused.retry_after) + 1)
            return response
        old = self.auth.caller(request)
        if old is not None:  # a new identifier at every login (no fixation)
            self.auth.sessions.close(old.session.id)
        response = web.HTTPSeeOther(target)
        set_session_cookie(request, response, session)
        raise response

    async def log_out(self, request: web.Request) -> web.Response:
        caller = await self.auth.require_change(request, AccessClass.READ_MEDIA)
        self.auth.sessions.close(caller.session.id)
        response = web.HTTPSeeOther("/login")
        clear_session_cookie(response)
        raise response

    def _caller(self, request: web.Request) -> Caller:
        caller = self.auth.caller(request)
        if caller is None:
            raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='/')}")
        if not caller.may(AccessClass.READ_MEDIA):
            raise json_error(web.HTTPForbidden, "your user level may not see recordings")
        return caller

    async def recordings(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        fragments = _header(caller)
        fragments["add_camera"] = (_fill("add_camera.html", {})
                                   if caller.may(AccessClass.ACTUATE) else "")
        return _page("recordings.html", 200, fragments, **_common(caller))

    async def recording(self, request: web.Request) -> web.Response:
        caller = self._caller(request)
        token = request.match_info["token"]
        if not self.recording_exists(token):
            return _page("error.html", 404, _header(caller),
                         message=f"There is no recording {token}.")
        return _page("recording.html", 200, _header(caller), **_common(caller), token=token)


def _common(caller: Caller) -> dict[str, str]:
    return {"csrf": caller.session.csrf,
            "can_change": json.dumps(caller.may(AccessClass.ACTUATE))}


def _header(caller: Caller) -> dict[str, str]:
    return {"header": _fill("header.html", {
        "username": caller.user.username, "level": caller.user.level.value,
        "csrf": caller.session.csrf, "csrf_field": CSRF_FIELD})}
