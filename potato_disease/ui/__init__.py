"""Streamlit building blocks shared by pages (the only place besides resources.py with st)."""
