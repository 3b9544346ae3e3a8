from marshmallow import Schema, fields

from custody.api.schemas.common import Text, UTCDateTime


class AgencySchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class MeSchema(Schema):
    username = fields.String()
    name = fields.String()
    agency = fields.Nested(AgencySchema)
    roles = fields.Function(lambda user: sorted(user.roles), metadata={"type": "array", "items": {"type": "string"}})


class TokenRequestSchema(Schema):
    username = Text(required=True)
    password = Text(required=True, load_only=True)


class TokenSchema(Schema):
    token = fields.String()
    expires_at = UTCDateTime()
