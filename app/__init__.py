"""leakline analyst app: case queue, evidence, case workflow with audit trail, KPIs, sign-in.

Layout: ``streamlit_app.py`` (router), ``app_pages/`` (UI only), ``data.py`` (cached reads),
``case_queue.py`` (queue filtering), ``workflow.py`` + ``sync.py`` (case events), ``auth.py`` and
``privacy.py`` (users, roles, masking), ``model_registry.py`` (MLflow), ``cli.py`` (leakline users,
app, cases). No Spark/JVM in the app: lake reads go through delta-rs and Arrow.
"""
