"""The fraud model: training, MLflow tracking and registry aliases, explanations, drift."""
