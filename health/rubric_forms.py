"""The form that edits a rubric (评分细则): it parses the numbers and builds the config.

The fields are made from the rubric being edited (its items), so the items' keys, sources
and activity kinds are kept as they are; only labels, points, caps, bonuses, deductions,
the veto and the grade thresholds change. The config's own rules are checked by
``health.rubric.validate`` (through ``health.services.rubric_save``); this form adds the
checks that need the fields' Chinese names.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Commendation, Sanction

HUNDRED = Decimal(100)
# Sanction kinds a rubric deducts points for (the lighter measures); the 党纪处分 veto instead.
DEDUCTED_KINDS = [kind for kind in Sanction.Kind if kind not in Sanction.DISCIPLINARY_KINDS]


def plain(value: Decimal) -> str:
    """A number as the rubric stores it: a string without trailing zeros ("40", "2.5")."""
    text = format(Decimal(value).normalize(), "f")
    return text


def _points(label, *, required: bool = True, max_value=HUNDRED) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, min_value=0, max_value=max_value, max_digits=5, decimal_places=2, required=required
    )


class RubricForm(forms.Form):
    year = forms.IntegerField(label=_("起始年度"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("名称"), max_length=100)
    commendation_cap = _points(_("表彰加分上限"))
    deduction_cap = _points(_("扣分上限"), required=False)
    veto_kinds = forms.MultipleChoiceField(
        label=_("一票否决的处分"),
        choices=Sanction.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    veto_cap = _points(_("一票否决时的最高得分"))
    veto_grade = forms.ChoiceField(label=_("一票否决时的等次"))
    adjustment_limit = _points(_("支部调整上限（±分）"), max_value=Decimal(20))

    def __init__(self, *args, config: dict, **kwargs):
        self.base = copy.deepcopy(config)
        super().__init__(*args, **kwargs)
        self.item_fields: list[dict] = []
        for item in self.base["items"]:
            key = item["key"]
            names = {"label": f"item_{key}_label", "points": f"item_{key}_points"}
            self.fields[names["label"]] = forms.CharField(label=_("项目名称"), max_length=50)
            self.fields[names["points"]] = _points(_("分值"))
            if item["source"] == "volunteer":
                names["hours"] = f"item_{key}_hours"
                self.fields[names["hours"]] = forms.DecimalField(
                    label=_("全年应服务小时数"),
                    min_value=Decimal("0.5"),
                    max_value=1000,
                    max_digits=6,
                    decimal_places=2,
                )
            self.item_fields.append(names)
        for level in Commendation.Level:
            self.fields[f"commendation_{level.value}"] = _points(_("%(level)s表彰每次加分") % {"level": level.label})
        for kind in DEDUCTED_KINDS:
            self.fields[f"deduction_{kind.value}"] = _points(_("%(kind)s每次扣分") % {"kind": kind.label})
        grades = self.base["grades"]
        self.fields["veto_grade"].choices = [(g["grade"], g["label"]) for g in grades]
        # The lowest grade starts at 0 and is not edited: every score has a grade.
        for grade in grades[:-1]:
            self.fields[f"grade_{grade['grade']}_min"] = _points(_("%(grade)s最低分") % {"grade": grade["label"]})
        if not self.is_bound:
            self.initial.update(self._initial_from(self.base))

    # ---------------------------------------------------------------- the layout's groups

    def items(self):
        """(label field, points field, hours field or None) for each item, for the template."""
        return [
            (self[n["label"]], self[n["points"]], self[n["hours"]] if "hours" in n else None) for n in self.item_fields
        ]

    def _group(self, prefix: str):
        return [self[name] for name in self.fields if name.startswith(prefix)]

    def commendation_fields(self):
        return self._group("commendation_")

    def deduction_fields(self):
        return self._group("deduction_")

    def grade_fields(self):
        return self._group("grade_")

    # ---------------------------------------------------------------- initial values and the config

    @staticmethod
    def _initial_from(config: dict) -> dict:
        initial = {
            "name": config.get("name", ""),
            "commendation_cap": config.get("commendation_cap"),
            "deduction_cap": config.get("deduction_cap"),
            "veto_kinds": list(config.get("veto_kinds", [])),
            "veto_cap": config.get("veto_cap"),
            "veto_grade": config.get("veto_grade"),
            "adjustment_limit": config.get("adjustment_limit"),
        }
        for item in config["items"]:
            initial[f"item_{item['key']}_label"] = item["label"]
            initial[f"item_{item['key']}_points"] = item["points"]
            if item["source"] == "volunteer":
                initial[f"item_{item['key']}_hours"] = item.get("hours_per_year", "24")
        for level in Commendation.Level:
            initial[f"commendation_{level.value}"] = config.get("commendation_points", {}).get(level.value, "0")
        for kind in DEDUCTED_KINDS:
            initial[f"deduction_{kind.value}"] = config.get("deduction_points", {}).get(kind.value, "0")
        for grade in config["grades"][:-1]:
            initial[f"grade_{grade['grade']}_min"] = grade["min"]
        return initial

    def clean(self):
        data = super().clean()
        grades = self.base["grades"][:-1]
        mins = [(g, data.get(f"grade_{g['grade']}_min")) for g in grades]
        for (upper, high), (lower, low) in zip(mins, mins[1:], strict=False):
            if high is not None and low is not None and high <= low:
                self.add_error(
                    f"grade_{upper['grade']}_min",
                    _("%(upper)s的最低分应高于%(lower)s的最低分") % {"upper": upper["label"], "lower": lower["label"]},
                )
        last = mins[-1][1] if mins else None
        if last is not None and last <= 0:
            self.add_error(f"grade_{grades[-1]['grade']}_min", _("最低分应大于 0（0 分以上为最低一档）"))
        return data

    def config(self) -> dict:
        """The edited rubric as stored: the base with the form's values, numbers as strings."""
        data = self.cleaned_data
        config = copy.deepcopy(self.base)
        config["name"] = data["name"].strip()
        for item, names in zip(config["items"], self.item_fields, strict=True):
            item["label"] = data[names["label"]].strip()
            item["points"] = plain(data[names["points"]])
            if "hours" in names:
                item["hours_per_year"] = plain(data[names["hours"]])
        config["commendation_points"] = {
            level.value: plain(data[f"commendation_{level.value}"]) for level in Commendation.Level
        }
        config["deduction_points"] = {kind.value: plain(data[f"deduction_{kind.value}"]) for kind in DEDUCTED_KINDS}
        config["commendation_cap"] = plain(data["commendation_cap"])
        config["deduction_cap"] = None if data["deduction_cap"] is None else plain(data["deduction_cap"])
        config["veto_kinds"] = list(data["veto_kinds"])
        config["veto_cap"] = plain(data["veto_cap"])
        config["veto_grade"] = data["veto_grade"]
        config["adjustment_limit"] = plain(data["adjustment_limit"])
        for grade in config["grades"][:-1]:
            grade["min"] = plain(data[f"grade_{grade['grade']}_min"])
        return config
