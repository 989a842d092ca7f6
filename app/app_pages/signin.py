"""Sign-in: a local users file (bcrypt) by default, or OIDC through st.login when configured."""

from __future__ import annotations

import streamlit as st

from app import data, ui
from app.auth import AuthError, UsersFile

s = data.settings()
st.markdown(ui.CSS, unsafe_allow_html=True)
_, middle, _ = st.columns([1, 1.2, 1])
with middle:
    st.space("large")
    st.title(f":material/policy: {s.get('app.title', 'leakline')}")
    st.caption("Revenue assurance and fraud cases. Sign in to continue.")
    if s.auth_mode == "oidc":
        if st.button("Sign in with your organisation", type="primary", icon=":material/login:",
                     key="signin_oidc"):
            provider = str(s.get("app.auth.oidc_provider", "") or "")
            st.login(provider or None)
    else:
        users = UsersFile(s.users_file, int(s.get("app.auth.bcrypt_rounds")),
                          int(s.get("app.auth.min_password_length")))
        try:
            known = users.load()
        except AuthError as exc:
            st.error(str(exc))
            st.stop()
        if not known:
            st.warning(
                f"No users yet in `{s.users_file}`. Create one from a terminal:\n\n"
                "`leakline users add alice --role analyst`"
            )
        with st.form("signin_form", border=True):
            name = st.text_input("User name", key="signin_name", autocomplete="username")
            password = st.text_input("Password", type="password", key="signin_password",
                                     autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary", width="stretch")
        if submitted:
            user = users.verify(name, password, s.get("app.roles"))
            if user is None:
                st.error("Unknown user name or wrong password.")
            else:
                st.session_state[ui.USER_KEY] = user
                st.rerun()
