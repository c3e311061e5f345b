"""Forms of the instructor authoring pages.

A question is edited as one `QuestionForm` (the scalar fields) plus one formset per list of
its type (options, mistakes, pairs, extra_right, items). `QuestionEditor` bundles them, turns
them into the YAML-shaped dict that quizzes.spec.parse_question validates, and puts that
parser's errors back next to the inputs they name ("options[2].explanation" -> the
explanation box of the third kept option row). Blank rows are ignored, so a page always has
a few spare rows and works without JavaScript; static/js/quiz-authoring.js only adds and
removes rows in place.
"""

from __future__ import annotations

from decimal import Decimal

import yaml
from django import forms
from django.forms import formset_factory

from courses.content_errors import ContentError
from courses.models import Fact, Lesson
from quizzes.spec import DIFFICULTIES, DOMAINS, ITEM_COUNT, OPTION_COUNTS, PAIR_COUNT, TYPES

# Formset prefixes are the spec's list names, so an error path maps straight onto a formset.
TYPE_LISTS: dict[str, tuple[str, ...]] = {
    "single": ("options",),
    "multiple": ("options",),
    "numeric": ("mistakes",),
    "matching": ("pairs", "extra_right"),
    "ordering": ("items",),
    "generated": (),
}
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "numeric": ("answer", "tolerance", "unit"),
    "generated": ("generator", "params"),
}
TYPE_LABELS = {
    "single": "Single answer",
    "multiple": "Multiple response (choose two/three)",
    "numeric": "Numeric with unit and tolerance",
    "matching": "Matching (3-7 pairs)",
    "ordering": "Ordering (3-5 items)",
    "generated": "Generated from a question family",
}
# Rows a new question starts with: the type's minimum plus one spare.
START_ROWS = {
    "options": {
        "single": OPTION_COUNTS["single"][0] + 1,
        "multiple": OPTION_COUNTS["multiple"][0] + 1,
    },
    "pairs": PAIR_COUNT[0] + 1,
    "items": ITEM_COUNT[0] + 1,
    "mistakes": 1,
    "extra_right": 1,
}
MAX_ROWS = {
    "options": max(high for _, high in OPTION_COUNTS.values()),
    "pairs": PAIR_COUNT[1],
    "items": ITEM_COUNT[1],
    "mistakes": 10,
    "extra_right": 5,
}
SHORT = forms.Textarea(attrs={"rows": 2})
LONG = forms.Textarea(attrs={"rows": 5})


class _Form(forms.Form):
    """Text fields with the browser's CRLF line ends turned into the LF a YAML file has, so a
    browser-authored question exports and diffs like a file one."""

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = value.replace("\r\n", "\n").replace("\r", "\n")
        return cleaned


class QuestionForm(_Form):
    slug = forms.CharField(
        max_length=100,
        help_text="Lowercase letters, digits and hyphens; unique in the bank; fixed once saved.",
    )
    domain = forms.ChoiceField(choices=list(DOMAINS.items()))
    difficulty = forms.ChoiceField(choices=[(d, d) for d in DIFFICULTIES])
    stem = forms.CharField(
        required=False,
        widget=LONG,
        help_text="The scenario. Light Markdown: paragraphs, `code`, **bold**, bullet lists.",
    )
    lessons = forms.MultipleChoiceField(
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="At least one lesson the question tests.",
    )
    facts = forms.MultipleChoiceField(
        required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    explanation = forms.CharField(
        required=False,
        widget=LONG,
        help_text="Shown after answering (required for numeric questions).",
    )
    answer = forms.DecimalField(required=False)
    tolerance = forms.DecimalField(required=False, min_value=0, help_text="Absolute, e.g. 0.5.")
    unit = forms.CharField(
        required=False, max_length=40, help_text='Shown next to the input, e.g. "RCU".'
    )
    generator = forms.ChoiceField(required=False)
    params = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional YAML mapping passed to the family, e.g. operation: read",
    )

    def __init__(self, *args, question_type: str, editing: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.question_type = question_type
        for name in ("answer", "tolerance", "unit", "generator", "params"):
            if name not in TYPE_FIELDS.get(question_type, ()):
                del self.fields[name]
        if editing:
            self.fields["slug"].disabled = True
        self.fields["lessons"].choices = _with_initial(
            list(Lesson.objects.order_by("order").values_list("slug", "title")),
            self.initial.get("lessons", []),
        )
        self.fields["facts"].choices = _with_initial(
            [(k, f"{k} ({label})") for k, label in Fact.objects.values_list("key", "label")],
            self.initial.get("facts", []),
        )
        if "generator" in self.fields:
            from quizzes.generators import FAMILIES

            self.fields["generator"].choices = [("", "—")] + [(n, n) for n in sorted(FAMILIES)]

    def clean_params(self) -> dict:
        text = self.cleaned_data.get("params", "")
        if not text.strip():
            return {}
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise forms.ValidationError(f"not valid YAML: {exc}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("must be a mapping of name: value lines")
        return value


def _with_initial(choices: list[tuple[str, str]], initial: list[str]) -> list[tuple[str, str]]:
    # Keep entries such as "lesson#section" that a GIFT or file question may carry.
    known = {value for value, _ in choices}
    return choices + [(v, v) for v in initial if v not in known]


class OptionForm(_Form):
    text = forms.CharField(required=False, widget=SHORT)
    correct = forms.BooleanField(required=False)
    explanation = forms.CharField(required=False, widget=SHORT)


class MistakeForm(_Form):
    value = forms.DecimalField(required=False)
    explanation = forms.CharField(required=False, widget=SHORT)


class PairForm(_Form):
    left = forms.CharField(required=False, widget=SHORT)
    right = forms.CharField(required=False, widget=SHORT)
    explanation = forms.CharField(required=False, widget=SHORT)


class ExtraRightForm(_Form):
    text = forms.CharField(required=False, label="Distractor", widget=SHORT)


class ItemForm(_Form):
    text = forms.CharField(required=False, widget=SHORT)
    explanation = forms.CharField(required=False, widget=SHORT)


ROW_FORMS = {
    "options": OptionForm,
    "mistakes": MistakeForm,
    "pairs": PairForm,
    "extra_right": ExtraRightForm,
    "items": ItemForm,
}
ROW_TITLES = {
    "options": "Options",
    "mistakes": "Typical wrong numbers (optional)",
    "pairs": "Pairs",
    "extra_right": "Extra right-hand distractors (optional)",
    "items": "Items, in the correct order",
}


def _row_is_blank(form: forms.Form) -> bool:
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    return not any(
        (v.strip() if isinstance(v, str) else v not in (None, False))
        for k, v in data.items()
        if k != "DELETE"
    )


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class QuestionEditor:
    """The main form and the type's formsets, as one unit a view validates and saves."""

    def __init__(
        self,
        question_type: str,
        *,
        data=None,
        initial: dict | None = None,
        editing: bool = False,
    ) -> None:
        if question_type not in TYPES:
            raise ValueError(f"unknown question type {question_type!r}")
        self.type = question_type
        self.editing = editing
        initial = initial or {}
        self.form = QuestionForm(
            data, initial=_form_initial(initial), question_type=question_type, editing=editing
        )
        self.formsets = {}
        for prefix in TYPE_LISTS[question_type]:
            rows = _rows_initial(prefix, initial)
            start = START_ROWS[prefix]
            start = start[question_type] if isinstance(start, dict) else start
            # A new question starts with the type's minimum plus a spare; an existing one
            # gets one spare row below its own (the no-JS way to add an entry).
            extra = (1 if len(rows) < MAX_ROWS[prefix] else 0) if rows else start
            factory = formset_factory(
                ROW_FORMS[prefix],
                extra=extra,
                can_delete=True,
                max_num=MAX_ROWS[prefix],
                absolute_max=MAX_ROWS[prefix],
            )
            # Bound rows must not get initial values: an extra row equal to its initial
            # counts as "unchanged" and Django would skip (and so drop) it.
            self.formsets[prefix] = factory(
                data, initial=None if data is not None else rows or None, prefix=prefix
            )
        # Per list: spec index -> index of the formset row it came from (blank and removed
        # rows are skipped), so "pairs[1].left" lands on the right row.
        self.row_index: dict[str, list[int]] = {}
        self.list_errors: dict[str, list[str]] = {}
        self.general_errors: list[str] = []
        # False when re-showing the page after "Add a row": nothing was submitted yet.
        self.show_errors = True

    @property
    def rows(self) -> list[dict]:
        """The formsets for the template, with their titles and list-level errors."""
        return [
            {
                "prefix": prefix,
                "title": ROW_TITLES[prefix],
                "formset": formset,
                "errors": self.list_errors.get(prefix, []),
            }
            for prefix, formset in self.formsets.items()
        ]

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.formsets.values():
            valid = formset.is_valid() and valid
        return valid

    def to_data(self) -> dict:
        """The question in the YAML shape of QUIZ-CONTRACT.md, from the cleaned input.
        Call after is_valid(); empty optional values are left out so the parser's defaults
        and messages apply."""
        c = self.form.cleaned_data
        data: dict = {"slug": c.get("slug", "").strip(), "type": self.type}
        for key in ("domain", "difficulty"):
            data[key] = c.get(key, "")
        if c.get("stem", "").strip() or self.type != "generated":
            data["stem"] = c.get("stem", "")
        data["lessons"] = list(c.get("lessons") or [])
        if c.get("facts"):
            data["facts"] = list(c["facts"])
        if c.get("explanation", "").strip():
            data["explanation"] = c["explanation"]
        if self.type == "numeric":
            if c.get("answer") is not None:
                data["answer"] = _number(c["answer"])
            if c.get("tolerance") is not None:
                data["tolerance"] = _number(c["tolerance"])
            if c.get("unit", "").strip():
                data["unit"] = c["unit"].strip()
        if self.type == "generated":
            data["generator"] = c.get("generator", "")
            if c.get("params"):
                data["params"] = c["params"]
        for prefix, formset in self.formsets.items():
            kept, entries = [], []
            for index, form in enumerate(formset.forms):
                if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                    continue
                if _row_is_blank(form):
                    continue
                kept.append(index)
                entries.append(_row_data(prefix, form.cleaned_data))
            self.row_index[prefix] = kept
            if entries or prefix not in ("mistakes", "extra_right"):
                data[prefix] = entries
        return data

    def apply_errors(self, errors: list[ContentError]) -> None:
        """Show each parser error next to the field its path names, or above the list /
        at the top of the form when it names no single input."""
        for error in errors:
            path = getattr(error, "path", "") or ""
            message = error.message
            if path and message.startswith(f"{path}: "):
                message = message[len(path) + 2 :]
            if message in ("missing", "is empty"):
                # The parser's hints show YAML syntax; a form only needs to say "fill this in".
                message = "This field is required."
            elif error.hint:
                message = f"{message} ({error.hint})"
            self._place(path, message)

    def _place(self, path: str, message: str) -> None:
        name, _, rest = path.partition("[")
        if not rest:
            if name in self.form.fields and name not in self.form.errors:
                self.form.add_error(name, message)
            elif name in self.formsets:
                self.list_errors.setdefault(name, []).append(message)
            else:
                self.general_errors.append(f"{path}: {message}" if path else message)
            return
        index_text, _, field = rest.partition("]")
        field = field.lstrip(".")
        if name in ("lessons", "facts"):
            self.form.add_error(name, message)
            return
        if name == "extra_right":
            field = "text"
        formset = self.formsets.get(name)
        kept = self.row_index.get(name, [])
        if (
            formset is None
            or not (index_text.isascii() and index_text.isdigit())
            or int(index_text) >= len(kept)
        ):
            self.general_errors.append(f"{path}: {message}")
            return
        form = formset.forms[kept[int(index_text)]]
        if field in form.fields:
            form.add_error(field, message)
        else:
            form.add_error(None, message)

    def with_extra_row(self, prefix: str, data) -> QuestionEditor:
        """The same bound input with one more blank row in `prefix` (the no-JavaScript
        "Add a row" button)."""
        data = data.copy()
        key = f"{prefix}-TOTAL_FORMS"
        if prefix in self.formsets and key in data:
            total = int(data.get(key) or 0)
            data[key] = str(min(total + 1, MAX_ROWS[prefix]))
        return QuestionEditor(self.type, data=data, initial=None, editing=self.editing)

    @property
    def has_errors(self) -> bool:
        return bool(
            self.form.errors
            or self.general_errors
            or self.list_errors
            or any(
                any(f.errors for f in fs.forms) or fs.non_form_errors()
                for fs in self.formsets.values()
            )
        )


def _row_data(prefix: str, c: dict) -> dict | str:
    if prefix == "options":
        return {"text": c["text"], "correct": bool(c["correct"]), "explanation": c["explanation"]}
    if prefix == "mistakes":
        value = c.get("value")
        return {
            "value": _number(value) if value is not None else None,
            "explanation": c["explanation"],
        }
    if prefix == "pairs":
        return {"left": c["left"], "right": c["right"], "explanation": c["explanation"]}
    if prefix == "extra_right":
        return c["text"]
    return {"text": c["text"], "explanation": c["explanation"]}


def _form_initial(spec: dict) -> dict:
    initial = {
        k: spec[k]
        for k in ("slug", "domain", "difficulty", "stem", "explanation", "unit", "generator")
        if k in spec
    }
    initial["lessons"] = list(spec.get("lessons", []))
    initial["facts"] = list(spec.get("facts", []))
    for key in ("answer", "tolerance"):
        if spec.get(key) is not None:
            initial[key] = Decimal(str(spec[key]))
    if spec.get("params"):
        initial["params"] = yaml.safe_dump(spec["params"], sort_keys=False).strip()
    return initial


def _rows_initial(prefix: str, spec: dict) -> list[dict]:
    values = spec.get(prefix) or []
    if prefix == "extra_right":
        return [{"text": v} for v in values]
    if prefix == "mistakes":
        return [
            {"value": Decimal(str(m["value"])), "explanation": m["explanation"]} for m in values
        ]
    return [dict(v) for v in values]


class GiftUploadForm(forms.Form):
    file = forms.FileField(required=False, help_text="A Moodle GIFT text file (UTF-8).")
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Or paste GIFT text",
    )
    domain = forms.ChoiceField(
        required=False,
        choices=[("", "From the file ($CATEGORY or coldstart comments)"), *DOMAINS.items()],
        help_text="Used for questions whose file does not say.",
    )
    difficulty = forms.ChoiceField(
        required=False, choices=[("", "From the file"), *[(d, d) for d in DIFFICULTIES]]
    )
    lessons = forms.MultipleChoiceField(
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Lessons for questions whose file names none.",
    )
    check_only = forms.BooleanField(
        required=False,
        label="Validate only (like --check): report what would change, write nothing",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lessons"].choices = list(
            Lesson.objects.order_by("order").values_list("slug", "title")
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            try:
                cleaned["gift_text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(
                    {"file": f"the file is not UTF-8 text (byte {exc.start} is not valid)"}
                ) from exc
            cleaned["gift_name"] = upload.name
        elif cleaned.get("text", "").strip():
            cleaned["gift_text"] = cleaned["text"]
            cleaned["gift_name"] = "pasted text"
        else:
            raise forms.ValidationError("Choose a GIFT file or paste GIFT text.")
        return cleaned


class BankFilterForm(forms.Form):
    domain = forms.ChoiceField(required=False, choices=[("", "All domains"), *DOMAINS.items()])
    type = forms.ChoiceField(required=False, choices=[("", "All types")] + [(t, t) for t in TYPES])
    origin = forms.ChoiceField(
        required=False,
        choices=[("", "All origins"), ("file", "file"), ("browser", "browser"), ("gift", "gift")],
    )
    q = forms.CharField(required=False, label="Slug or text contains")
