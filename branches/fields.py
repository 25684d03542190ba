# Kept only because health/migrations/0002_rubric_snapshot_once_per_content.py imports
# ``branches.fields.SnapshotJSONField``: the field lives in core/fields.py. Import it from there.
from core.fields import SnapshotJSONField

__all__ = ["SnapshotJSONField"]
