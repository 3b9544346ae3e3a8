"""Extension instances only; they are bound to the app in create_app."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from custody.db import Base
from custody.login import CustodyLoginManager

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = CustodyLoginManager()
csrf = CSRFProtect()
babel = Babel()
api = Api()
