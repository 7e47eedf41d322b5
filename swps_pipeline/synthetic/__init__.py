"""The seeded generator of the bundled synthetic data (`swps generate`).

The real returns are not public: the repository ships a realistic, honest
stand-in that follows the published national counts and the Seine-et-Marne
2021 figures, with the messiness of real files and a few planted errors.

The generator is `swps_pipeline.synthetic.generate.generate`; this package imports nothing, so a run that only
asks `targets` which figures are published does not import the file writers (openpyxl: 0.3 s of every run).
"""
