"""Imports every models module, so that ``Base.metadata`` (Alembic, create_all) sees all tables."""

# [models] each package adds its models module below
from governance.api import models as api_models  # noqa: F401
from governance.audit import models as audit_models  # noqa: F401
from governance.auth import models as auth_models  # noqa: F401
from governance.constitution import models as constitution_models  # noqa: F401
from governance.mail import models as mail_models  # noqa: F401
from governance.members import models as members_models  # noqa: F401
from governance.payouts import models as payouts_models  # noqa: F401
from governance.policy import models as policy_models  # noqa: F401
from governance.webhooks import models as webhooks_models  # noqa: F401
from proposals import models as proposals_models  # noqa: F401
from voting.committees import models as committee_models  # noqa: F401
from voting.counting import models as counting_models  # noqa: F401
from voting.elections import models as voting_models  # noqa: F401
