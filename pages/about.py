"""About: the model card and version."""

import streamlit as st

from potato_disease import __version__
from potato_disease.config import get_settings

st.title("About this app")
st.write(f"Version {__version__}.")
card = get_settings().model_dir / "README.md"
if card.exists():
    st.markdown(card.read_text())
else:
    st.info("The model card is not available in this installation.")
