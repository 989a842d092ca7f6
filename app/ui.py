"""Shared UI pieces: who is signed in, the masking policy for them, formatting, page chrome."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import streamlit as st

from app import data
from app.auth import User, oidc_user
from app.privacy import MaskPolicy
from app.settings import AppSettings

USER_KEY = "auth_user"
STATUS_COLORS = {
    "open": "blue",
    "investigating": "orange",
    "confirmed_leakage": "red",
    "confirmed_fraud": "red",
    "false_positive": "gray",
    "recovering": "violet",
    "recovered": "green",
    "written_off": "gray",
    "closed": "gray",
}
KIND_ICONS = {"leakage": ":material/money_off:", "fraud": ":material/gpp_maybe:"}
CSS = """
<style>
  .block-container {padding-top: 2.2rem; padding-bottom: 2rem; max-width: 1500px;}
  [data-testid="stMetricValue"] {font-size: 1.55rem;}
  [data-testid="stMetric"] {background: #ffffff;}
  h1 {font-size: 1.7rem !important;}
  h3 {font-size: 1.12rem !important; margin-top: .4rem;}
  .ll-muted {color: #64748b; font-size: .88rem;}
  .ll-kv {display: grid; grid-template-columns: max-content auto; gap: .25rem 1rem; font-size: .93rem;}
  .ll-kv b {color: #475569; font-weight: 600;}
</style>
"""


def current_user(s: AppSettings) -> User | None:
    """The signed-in user: the session's local sign-in, or the OIDC identity in ``st.user``."""
    if s.auth_mode == "oidc":
        if not getattr(st.user, "is_logged_in", False):
            return None
        email = str(st.user.get("email") or st.user.get("sub") or "")
        return oidc_user(email, s.get("app.users", {}) or {}, str(s.get("app.auth.oidc_default_role")),
                         s.get("app.roles"))
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, User) else None


def require_user() -> tuple[AppSettings, User]:
    """Settings and the signed-in user; stops the page if nobody is (pages are behind the router)."""
    s = data.settings()
    user = current_user(s)
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    return s, user  # type: ignore[return-value]


def mask_policy(s: AppSettings, user: User) -> MaskPolicy:
    return MaskPolicy.from_config(s.get("app.pii", {}), enabled=not user.can_see_pii)


def header(title: str, caption: str | None = None) -> None:
    st.markdown(CSS, unsafe_allow_html=True)
    st.title(title)
    if caption:
        st.caption(caption)


def money(value: Any, currency: str | None = None) -> str:
    """``EUR 1,234.56`` (Decimal kept exact; shown to cents)."""
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"))
    text = f"{amount:,.2f}"
    return f"{currency} {text}" if currency else text


def status_badge(status: str) -> None:
    st.badge(status.replace("_", " "), color=STATUS_COLORS.get(status, "gray"))  # type: ignore[arg-type]


def to_float(values: Any) -> Any:
    """Decimal money as floats for charts only (amounts shown as text stay Decimal)."""
    return values.astype("float64")


def no_data(what: str, hint: str = "run `leakline pipeline` to produce it") -> None:
    st.info(f"No {what} yet — {hint}.", icon=":material/info:")


def open_case(case_id: str) -> None:
    """Go to the case detail page for ``case_id`` (same session: the sign-in is kept)."""
    st.session_state["case_id"] = case_id
    st.switch_page("app_pages/case.py")
