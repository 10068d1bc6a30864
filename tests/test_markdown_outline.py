from potato_disease.markdown_outline import headings_down


def test_every_heading_goes_one_level_down_and_nothing_else_changes() -> None:
    card = "# Model card\n\nText with a # sign.\n\n## Data\n\n#hashtag\n\n### Split\n"
    assert headings_down(card) == (
        "## Model card\n\nText with a # sign.\n\n### Data\n\n#hashtag\n\n#### Split\n"
    )


def test_headings_stop_at_h6() -> None:
    assert headings_down("##### Five\n###### Six\n", levels=2) == "###### Five\n###### Six\n"
