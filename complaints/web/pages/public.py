"""Pages without a login: sign-in and the complainant's status lookup; the home page redirect."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from complaints import auth
from complaints.errors import DomainError
from complaints.http import csrf
from complaints.http.ratelimit import public_lookup
from complaints.http.session import RuntimeDep, SessionDep
from complaints.http.users import MaybeUser
from complaints.i18n import gettext
from complaints.web.deps import PageForm
from complaints.web.render import page

router = APIRouter()
HOME_BY_ROLE = (("supervisor", "/board"), ("handler", "/inbox"), ("operator", "/intake"), ("admin", "/admin"))


@router.get("/")
def home(user: MaybeUser):
    if user is None:
        return RedirectResponse("/login", status_code=303)
    target = next((path for role, path in HOME_BY_ROLE if role in user.role_set), "/items")
    return RedirectResponse(target, status_code=303)


@router.get("/login")
def login_form(request: Request, user: MaybeUser):
    return page(request, "login.html", error=None, username="")


@router.post("/login", dependencies=[Depends(csrf.verify)])
def login_submit(request: Request, form: PageForm, session: SessionDep, runtime: RuntimeDep):
    username = str(form.get("username", ""))[:64]
    try:
        user, token = auth.login_browser(
            session=session,
            settings=runtime.settings,
            username=username,
            password=str(form.get("password", ""))[:256],
            client=request.client.host if request.client else "",
        )
    except DomainError as exc:  # returned, not raised: the failed attempt is committed, counting towards a lock-out
        return page(request, "login.html", status_code=exc.http_status, error=exc, username=username)
    response = RedirectResponse("/", status_code=303)
    auth.set_session_cookie(response, token, settings=runtime.settings, scheme=request.url.scheme)
    return response


@router.post("/logout", dependencies=[Depends(csrf.verify)])
def logout(request: Request, session: SessionDep, runtime: RuntimeDep):
    auth.logout_browser(session=session, request=request)
    response = RedirectResponse("/login", status_code=303)
    auth.clear_session_cookie(response)
    return response


@router.get("/status")
def status_form(request: Request):
    return page(request, "status.html", result=None, error=None, tracking_no="")


@router.post("/status", dependencies=[Depends(csrf.verify)])
def status_lookup(request: Request, form: PageForm, session: SessionDep, runtime: RuntimeDep):
    tracking_no = str(form.get("tracking_no", ""))[:32]
    try:
        result = public_lookup(
            request,
            session=session,
            runtime=runtime,
            tracking_no=tracking_no,
            phone_last4=str(form.get("phone_last4", ""))[:4],
        )
    except DomainError as exc:
        return page(
            request, "status.html", status_code=exc.http_status, result=None, error=exc, tracking_no=tracking_no
        )
    return page(request, "status.html", result=result, error=None, tracking_no=tracking_no, title=gettext("办理进度"))
