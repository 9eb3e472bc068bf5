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


def _split(stem: str, label: str, samples: tuple[int, int], features: int, classes: int, text):
    train, held_out = samples
    rule = "a stratified 70/30 split with seed 2026"
    return [
        {
            "builtin_name": f"{stem}_train",
            "name": f"{label}: training split",
            "n_samples": train,
            "n_features": features,
            "classes": list(range(classes)),
            "description": f"{text} The public 70% of {rule}; train on it.",
        },
        {
            "builtin_name": f"{stem}_holdout",
            "kind": "heldout",
            "name": f"{label}: held-out split",
            "n_samples": held_out,
            "n_features": features,
            "classes": list(range(classes)),
            "description": f"{text} The held-out 30% of {rule}; only suites run on it.",
        },
    ]


# The benchmark suites' sets: a public training split and a held-out test split of each.
BENCHMARK_DATASETS = [
    *_split("digits", "Digits", (1257, 540), 64, 10, "8×8 handwritten digits."),
    *_split("breast_cancer", "Breast cancer", (398, 171), 30, 2, "Cell nuclei features."),
    *_split(
        "synthetic",
        "Synthetic 64×10",
        (16800, 7200),
        64,
        10,
        "24,000 rows of scikit-learn's make_classification (64 features, 10 classes).",
    ),
]


def ensure_builtin_datasets(Dataset, sets=None) -> None:  # noqa: N803  (a model class, maybe historical)
    """Create the rows that are missing; `Dataset` may be a migration's historical model."""
    for figures in BUILTIN_DATASETS if sets is None else sets:
        fields = dict(figures)
        Dataset.objects.get_or_create(
            kind=fields.pop("kind", "builtin"),
            builtin_name=fields.pop("builtin_name"),
            defaults=fields,
        )
