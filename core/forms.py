"""Form fields every app's admin shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


class LineListField(forms.Field):
    """A JSON list of strings edited as a text area, one value per line.

    The stored list comes back exactly as it was: values are shown in their order, and a form
    saved without edits writes the same list (blank lines and surrounding spaces dropped).
    ``item_validator`` checks each value, so a message can name the one that is wrong."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 40, "class": "vLineList"})

    def __init__(
        self,
        *,
        item_validator: Callable[[str], None] | None = None,
        max_length: int | None = None,
        **kwargs,
    ) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.item_validator = item_validator
        self.max_length = max_length

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value) -> list[str]:
        if value in self.empty_values:
            return []
        lines = [str(v) for v in value] if isinstance(value, list) else str(value).splitlines()
        return [line.strip() for line in lines if line.strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        errors = []
        for item in value:
            if self.max_length and len(item) > self.max_length:
                errors.append(
                    ValidationError(
                        _("“%(value)s” is longer than %(max)d characters."),
                        params={"value": item, "max": self.max_length},
                    )
                )
                continue
            if self.item_validator is not None:
                try:
                    self.item_validator(item)
                except ValidationError as exc:
                    errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)

    def has_changed(self, initial, data) -> bool:
        return self.to_python(self.prepare_value(initial)) != self.to_python(data)


class ModelLabelsMixin:
    """Label declared fields of a ModelForm as the model's own (translated) verbose names, as
    Django labels the fields it generates."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        form: Any = self  # mixed into a ModelForm
        opts = form._meta.model._meta
        for name in form.declared_fields:
            if name in form.fields:
                form.fields[name].label = capfirst(opts.get_field(name).verbose_name)
