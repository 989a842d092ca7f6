"""Model code of leakline: pure training, MLflow logging and registry aliases (see models/fraud)."""
