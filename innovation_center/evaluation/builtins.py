"""The built-in benchmark sets, shipped by scikit-learn, that every company may use."""

BUILTIN_DATASETS = [
    {
        "builtin_name": "digits",
        "name": "Digits (scikit-learn)",
        "n_samples": 1797,
        "n_features": 64,
        "classes": list(range(10)),
        "description": "8×8 images of handwritten digits, 0–9.",
    },
    {
        "builtin_name": "iris",
        "name": "Iris (scikit-learn)",
        "n_samples": 150,
        "n_features": 4,
        "classes": list(range(3)),
        "description": "Sepal and petal measurements of three iris species.",
    },
    {
        "builtin_name": "breast_cancer",
        "name": "Breast cancer Wisconsin (scikit-learn)",
        "n_samples": 569,
        "n_features": 30,
        "classes": list(range(2)),
        "description": "Features of cell nuclei from breast masses, malignant or benign.",
    },
    {
        "builtin_name": "wine",
        "name": "Wine (scikit-learn)",
        "n_samples": 178,
        "n_features": 13,
        "classes": list(range(3)),
        "description": "Chemical analysis of wines from three cultivars.",
    },
]


def ensure_builtin_datasets(Dataset) -> None:  # noqa: N803  (a model class, maybe historical)
    """Create the rows that are missing; `Dataset` may be a migration's historical model."""
    for figures in BUILTIN_DATASETS:
        fields = dict(figures)
        Dataset.objects.get_or_create(
            kind="builtin", builtin_name=fields.pop("builtin_name"), defaults=fields
        )
