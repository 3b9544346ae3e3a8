"""Extension instances only; they are bound to the app in create_app."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from custody.db import Base
from custody.login import CustodyLoginManager

# Objects keep their state after a commit: a handler serialises what the service just wrote, and
# expiring it would reload every row one SELECT at a time (10,000 items: minutes instead of seconds).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = CustodyLoginManager()
csrf = CSRFProtect()
babel = Babel()
api = Api()
