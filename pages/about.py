"""About: version, privacy note and the model card."""

import streamlit as st

from potato_disease import __version__
from potato_disease.config import get_settings
from potato_disease.database import storage_description
from potato_disease.markdown_outline import headings_down
from potato_disease.ui.access import through_the_router

through_the_router("pages/about.py")  # before anything: see its docstring

PRIVACY = """
- Photos are diagnosed in memory on this server and are not kept, unless you press
  **Save to history**: then a small thumbnail (at most 256 px), the diagnosis, the
  field, plot, notes, location and severity in the form, and a SHA-256 fingerprint of the photo
  file (so that the same photo is not saved twice; the photo cannot be rebuilt from it)
  are stored in this app's database. When the photo carries GPS tags (most phone photos
  do), the form starts with that location; clear it to save none. The time the photo
  says it was taken is stored too, to date the case by. The thumbnail keeps no EXIF
  tags.
- **Your name**, when you give one in the sidebar, is stored with each diagnosis you
  give (saving a photo with your diagnosis, or reviewing a case), so that the history
  and its downloads show who confirmed or corrected each case. Clearing a review clears
  its name.
- The **Assistant** sends your question, the current case (the diagnoses, field, notes,
  severity, the day the photo was taken or diagnosed, and its location rounded to about 10 km, for
  the region and season) and its photo to Google Gemini only when the operator has
  configured a Gemini key; otherwise everything is answered on this server from the
  built-in guide.
- **Late blight weather** (Diagnose and History) comes from Open-Meteo's forecast
  service: the server sends it the location rounded to 0.1° (about 10 km), nothing
  else. The operator can switch it off.
- **Team alerts**: where the operator has set one up, saving or confirming late blight
  sends the team's subscribers (e-mail or SMS, through Amazon SNS) the field's name, the
  names and distances of fields within 5 km, the dates, the case numbers, the severity
  the agronomist estimated and the names of those who confirmed it: never a photo, a note
  or a location.
- The **History** map draws its background from Streamlit's map tile provider (CARTO):
  the browser asks it for the map tiles of the area shown, so the provider learns which
  area is being looked at, never the cases themselves.
- The app's logs record errors and timings, never photos, questions, notes or keys.
- Delete a saved case at any time from the **History** page.
"""

WIDE_TABLES_SCROLL = (
    "<style>[data-testid='stExpanderDetails'] table"
    "{display:block;max-width:100%;overflow-x:auto}</style>"
)

st.title("About this app")
st.write(
    f"Potato leaf diagnosis, version {__version__}. A photo diagnosis is a first opinion: "
    "confirm it in the field, and call an expert for anything that drives spraying or "
    "quarantine decisions."
)

st.caption(f"The history is stored in {storage_description(get_settings())}.")
st.header("Privacy")
st.markdown(PRIVACY)
card = get_settings().model_dir / "README.md"
if card.exists():
    # Folded: its wide tables are for those who look for them, not for every phone screen.
    with st.expander("Model card: data, method, measured figures and known limits"):
        # Its tables scroll sideways in their own box, not the whole page on a phone.
        st.html(WIDE_TABLES_SCROLL)
        # Its own h1 title one level down: the page has one h1, and headings stay in order.
        st.markdown(headings_down(card.read_text(encoding="utf-8")))
else:
    st.info("The model card is not available in this installation.")
