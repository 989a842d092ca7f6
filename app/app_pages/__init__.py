"""Streamlit pages (UI only): each reads through app.data and writes only through app.workflow."""
