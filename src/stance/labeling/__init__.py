"""The labelling loop: pick sentences to label from a predict output (strategies, dedup),
hand them to people (CSV, Label Studio), take the labels back (validated, versioned user sets)."""
