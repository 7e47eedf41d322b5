"""The seeded generator of the bundled synthetic data (`swps generate`).

The real returns are not public: the repository ships a realistic, honest
stand-in that follows the published national counts and the Seine-et-Marne
2021 figures, with the messiness of real files and a few planted errors.
"""

from swps_pipeline.synthetic.generate import generate

__all__ = ["generate"]
