"""Unbound extension objects; `create_app` binds them (HOUSE-STYLE: one place for extensions)."""
from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from portal.database import Database

db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
