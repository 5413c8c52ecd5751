"""SCALE-Sim 3.0.0's systolic-array model in closed form: its inputs, its per-layer figures, its reports."""
