"""Label Studio's formats: the labelling config, the JSON task import, the JSON export.

Import (a JSON list of tasks): `{"data": {...}, "predictions": [{"model_version", "score",
"result": [{"from_name", "to_name", "type": "choices", "value": {"choices": [label]}}]}]}`.
The JSON export is the same list with an `id` per task and `annotations` (each with its
`result`, `completed_by`, `was_cancelled`, ...); the JSON-MIN export flattens each task to
its data fields plus one key per control (`label`) and `annotator`.
"""

from __future__ import annotations

from typing import Iterator
from xml.sax.saxutils import quoteattr

from stance.errors import StanceError

FROM_NAME = "label"  # the Choices control in our labelling config
TO_NAME = "text"  # the Text object it labels


def label_config(labels, from_name: str = FROM_NAME, to_name: str = TO_NAME) -> str:
    """The XML labelling config: the sentence, its neighbours, one choice per label."""
    choices = "\n".join(f"    <Choice value={quoteattr(n)}/>" for n in labels)
    return f"""<View>
  <Header value="Which diplomatic stance does the highlighted sentence carry?"/>
  <Text name="before" value="$context_before"/>
  <View style="padding: 8px; background: #fff3c4; font-size: 1.15em">
    <Text name={quoteattr(to_name)} value="${to_name}"/>
  </View>
  <Text name="after" value="$context_after"/>
  <Choices name={quoteattr(from_name)} toName={quoteattr(to_name)}
           choice="single-radio" showInline="true" required="true">
{choices}
  </Choices>
</View>
"""


def task(row: dict, labels, model_version: str, preannotate: bool,
         from_name: str = FROM_NAME, to_name: str = TO_NAME) -> dict:
    """One import task for a sampled row (id, doc_id, text, predicted, score, p_<label>, ...).

    Our sentence id travels as `sentence_id` (Label Studio gives each task its own `id`).
    With `preannotate` the model's label is pre-selected (a prediction the labeller confirms
    or changes); without it the prediction is only a data field."""
    data = {"sentence_id": str(row["id"]), to_name: row["text"],
            **{k: v for k, v in row.items() if k not in ("id", "text")}}
    out: dict[str, object] = {"data": data}
    if preannotate:
        out["predictions"] = [{"model_version": model_version, "score": float(row["score"]),
                               "result": [{"from_name": from_name, "to_name": to_name, "type": "choices",
                                           "value": {"choices": [row["predicted"]]}}]}]
    return out


def _labeller(annotation: dict) -> str | None:
    who = annotation.get("completed_by")
    if isinstance(who, dict):  # some exports give the user: {"id", "email", "first_name", ...}
        return who.get("email") or (f"user {who['id']}" if "id" in who else None)
    return None if who in (None, "") else f"user {who}"


def parse_export(tasks, path: str, from_name: str = FROM_NAME,
                 to_name: str = TO_NAME) -> Iterator[dict]:
    """Rows {id, text, label (None when unlabelled), labeller, doc_id, where} from a Label
    Studio JSON or JSON-MIN export. Cancelled (skipped) annotations do not count; two
    annotations of one task that disagree are an error."""
    if not isinstance(tasks, list):
        raise StanceError(f"expected a JSON list of tasks, got {type(tasks).__name__}", where=path,
                          fix="export the project from Label Studio as JSON (or JSON-MIN)")
    for i, t in enumerate(tasks, start=1):
        where = f"{path}: task {t.get('id', '?') if isinstance(t, dict) else '?'} (item {i})"
        if not isinstance(t, dict):
            raise StanceError(f"expected a task object, got {type(t).__name__}", where=where)
        full = "data" in t or "annotations" in t
        data = t.get("data") if full else t
        if not isinstance(data, dict):
            raise StanceError("task has no `data` object", where=where)
        # our id is `sentence_id`; in JSON-MIN `id` is Label Studio's task id, not a data field
        row_id = _first(data.get("sentence_id"), data.get("id") if full else None)
        if row_id is None and t.get("id") not in (None, ""):
            row_id = f"ls-task-{t['id']}"
        row = {"id": row_id, "text": data.get(to_name), "doc_id": data.get("doc_id"), "where": where}
        if full:
            row["label"], row["labeller"] = _annotated_label(t, where, from_name)
        else:
            label = data.get(from_name)
            if isinstance(label, dict) and "choices" in label:
                label = label["choices"]
            if isinstance(label, list):
                if len(label) > 1:
                    raise StanceError(f"{len(label)} choices {label}: one label per sentence", where=where)
                label = label[0] if label else None
            row["label"] = label
            ann = data.get("annotator")
            row["labeller"] = None if ann in (None, "") else (ann if isinstance(ann, str) else f"user {ann}")
        yield row


def _first(*values):
    for v in values:
        if v not in (None, ""):
            return str(v)
    return None


def _annotated_label(t: dict, where: str, from_name: str) -> tuple[str | None, str | None]:
    found: list[tuple[str, str | None]] = []
    other_controls: set[str] = set()
    for ann in t.get("annotations") or []:
        if not isinstance(ann, dict) or ann.get("was_cancelled"):
            continue
        for r in ann.get("result") or []:
            if not isinstance(r, dict) or r.get("type") != "choices":
                continue
            if r.get("from_name") != from_name:
                other_controls.add(str(r.get("from_name")))
                continue
            choices = (r.get("value") or {}).get("choices") or []
            if len(choices) != 1:
                raise StanceError(f"{len(choices)} choices {choices} in one annotation: one label per sentence",
                                  where=where, fix="use choice=\"single\" in the labelling config")
            found.append((choices[0], _labeller(ann)))
    if not found:
        if other_controls:
            raise StanceError(f"no choices named {from_name!r} (found {', '.join(sorted(other_controls))})",
                              where=where, fix=f"set from_name={sorted(other_controls)[0]} to read that control")
        return None, None
    labels = sorted({label for label, _ in found})
    if len(labels) > 1:
        who = ", ".join(f"{w or '?'}: {label}" for label, w in found)
        raise StanceError(f"annotations disagree ({who})", where=where,
                          fix="settle the label in Label Studio (keep one annotation, or cancel the others)")
    labellers = sorted({w for _, w in found if w})
    return labels[0], ", ".join(labellers) or None
