"""leakline analyst app — the router (``streamlit run app/streamlit_app.py``; ``leakline app``).

Nobody sees data before signing in: without a user only the sign-in page is routed. Signed-in users
get the pages below; what they may do on them (act, see personal numbers) comes from their role.
"""

from __future__ import annotations

import streamlit as st

from app import data, ui
from app.auth import User

st.set_page_config(page_title="leakline", page_icon=":material/policy:", layout="wide")

settings = data.settings()
user = ui.current_user(settings)

if user is None:
    page = st.navigation([st.Page("app_pages/signin.py", title="Sign in", icon=":material/login:")],
                         position="hidden")
else:
    pages = {
        "Monitor": [
            st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
            st.Page("app_pages/quality.py", title="Data quality", icon=":material/fact_check:"),
            st.Page("app_pages/models.py", title="Models", icon=":material/model_training:"),
        ],
        "Cases": [
            st.Page("app_pages/queue.py", title="Case queue", icon=":material/inbox:"),
            st.Page("app_pages/case.py", title="Case detail", icon=":material/folder_open:"),
        ],
    }
    page = st.navigation(pages)

    def _sidebar(u: User) -> None:
        with st.sidebar:
            st.markdown(f"**{settings.get('app.title', 'leakline')}** · revenue assurance & fraud")
            st.caption(f"Signed in as **{u.name}** · {u.role}"
                       + ("" if u.can_see_pii else " · personal numbers masked"))
            left, right = st.columns(2)
            if left.button("Refresh", icon=":material/refresh:", key="nav_refresh",
                           help="Read the lake again (cached for app.cache_ttl_s seconds)"):
                data.clear()
                st.rerun()
            if right.button("Sign out", icon=":material/logout:", key="nav_signout"):
                st.session_state.clear()
                if u.source == "oidc":
                    st.logout()
                st.rerun()

    _sidebar(user)

page.run()
