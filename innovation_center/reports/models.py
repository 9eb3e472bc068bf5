# Reports are computed from the other apps' rows; this app stores nothing of its own.
