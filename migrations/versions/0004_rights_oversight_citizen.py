"""Rights carried out (rectification history, letter e-mail, restriction), retention, data breaches,
statistics; letter kinds for the citizen portal.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 18:20:51.641998
"""
from alembic import op
import sqlalchemy as sa


LETTER_KINDS_BEFORE = (
    "information", "acknowledgement", "extension", "decision", "access_report", "not_picked_up",
    "restriction", "restriction_ended",
)
LETTER_KINDS = LETTER_KINDS_BEFORE + ("processing_restriction_lifted", "withdrawal_confirmation")
EVENT_KINDS_BEFORE = (
    "registered", "identity_requested", "identity_established", "processing_started",
    "extended", "decided", "closed", "withdrawn", "assigned", "deadline_changed",
)
EVENT_KINDS = EVENT_KINDS_BEFORE + (
    "access_report_sent", "rectified", "erased", "processing_restricted",
    "processing_restriction_lifted", "objection_carried_out", "right_restricted",
    "right_restriction_told", "right_restriction_ended",
)
# Checks on columns that already existed (autogenerate does not compare CHECK constraints).
NEW_CHECKS = {
    "letter": {
        "staff_or_portal": "created_by_id IS NOT NULL OR channel = 'portal'",
    },
    "privacy_request": {
        "inform_after_restriction": "inform_by IS NULL OR inform_by >= right_restricted_on",
        "informed_after_restriction": (
            "informed_on IS NULL OR (right_restricted_on IS NOT NULL "
            "AND informed_on >= right_restricted_on)"
        ),
        "letter_language": "language IN ('nl', 'en')",
        "restriction_ends_after_start": (
            "right_restriction_ended_on IS NULL OR (right_restricted_on IS NOT NULL "
            "AND right_restriction_ended_on >= right_restricted_on)"
        ),
        "right_restriction_documented": (
            "(right_restricted_on IS NULL) = (right_restriction_ground IS NULL) "
            "AND (right_restricted_on IS NULL) = (right_restriction_motivation IS NULL) "
            "AND (right_restricted_on IS NULL) = (inform_by IS NULL)"
        ),
    },
}


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _replace_check(table, name, condition):
    # Batch mode: SQLite rebuilds the table, PostgreSQL alters it in place.
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch.create_check_constraint(name, condition)


def _enum_checks(letter_kinds, event_kinds):
    _replace_check("letter", "letter_kind", _in("kind", letter_kinds))
    _replace_check("letter_batch", "letter_kind", _in("kind", letter_kinds))
    _replace_check("request_event", "request_event_kind", _in("kind", event_kinds))


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_breach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('discovered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.LargeBinary(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('risk', sa.Enum('unlikely', 'risk', 'high', name='breach_risk', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('risk_reasoning', sa.LargeBinary(), nullable=True),
    sa.Column('tell_decision', sa.Enum('tell', 'not_high_risk', 'unintelligible', 'risk_removed', 'public_communication', name='breach_tell_decision', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('tell_reasoning', sa.LargeBinary(), nullable=True),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assessed_by_id', sa.Integer(), nullable=True),
    sa.Column('ap_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ap_reference', sa.String(length=100), nullable=True),
    sa.Column('delay_reason', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("risk != 'high' OR tell_decision != 'not_high_risk'", name=op.f('ck_data_breach_high_risk_is_told')),
    sa.CheckConstraint('(ap_notified_at IS NULL) = (ap_reference IS NULL)', name=op.f('ck_data_breach_ap_notice_has_reference')),
    sa.CheckConstraint('(risk IS NULL) = (assessed_at IS NULL) AND (risk IS NULL) = (tell_decision IS NULL)', name=op.f('ck_data_breach_assessed_together')),
    sa.CheckConstraint('discovered_at <= registered_at', name=op.f('ck_data_breach_discovered_before_register')),
    sa.CheckConstraint('risk IS NULL OR (risk_reasoning IS NOT NULL AND tell_reasoning IS NOT NULL)', name=op.f('ck_data_breach_assessment_has_reasons')),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['staff_user.id'], name=op.f('fk_data_breach_assessed_by_id_staff_user')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_data_breach_partner_id_partner')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['staff_user.id'], name=op.f('fk_data_breach_registered_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_breach'))
    )
    op.create_index(op.f('ix_data_breach_partner_id'), 'data_breach', ['partner_id'], unique=False)
    op.create_table('retention_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('cases_destroyed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('persons_destroyed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('households_destroyed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('cases_held', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('cases_destroyed >= 0 AND persons_destroyed >= 0 AND households_destroyed >= 0 AND cases_held >= 0', name=op.f('ck_retention_run_counts_not_negative')),
    sa.ForeignKeyConstraint(['started_by_id'], ['staff_user.id'], name=op.f('fk_retention_run_started_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_run'))
    )
    op.create_table('statistics_wijk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wijk', sa.String(length=100), nullable=False),
    sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('chosen_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['chosen_by_id'], ['staff_user.id'], name=op.f('fk_statistics_wijk_chosen_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statistics_wijk'))
    )
    op.create_table('data_breach_case',
    sa.Column('breach_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['breach_id'], ['data_breach.id'], name=op.f('fk_data_breach_case_breach_id_data_breach'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_data_breach_case_case_id_regie_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('breach_id', 'case_id', name=op.f('pk_data_breach_case'))
    )
    op.create_index(op.f('ix_data_breach_case_case_id'), 'data_breach_case', ['case_id'], unique=False)
    op.create_table('data_breach_person',
    sa.Column('breach_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['breach_id'], ['data_breach.id'], name=op.f('fk_data_breach_person_breach_id_data_breach'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_data_breach_person_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('breach_id', 'person_id', name=op.f('pk_data_breach_person'))
    )
    op.create_index(op.f('ix_data_breach_person_person_id'), 'data_breach_person', ['person_id'], unique=False)
    op.create_table('retention_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(length=80), nullable=False),
    sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint('rows >= 0', name=op.f('ck_retention_count_rows_not_negative')),
    sa.ForeignKeyConstraint(['run_id'], ['retention_run.id'], name=op.f('fk_retention_count_run_id_retention_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_count')),
    sa.UniqueConstraint('run_id', 'table_name', name='uq_retention_count_table')
    )
    op.create_index(op.f('ix_retention_count_run_id'), 'retention_count', ['run_id'], unique=False)
    op.create_table('letter_email',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_letter_email_attempts_not_negative')),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_letter_email_letter_id_letter'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_email')),
    sa.UniqueConstraint('letter_id', name=op.f('uq_letter_email_letter_id'))
    )
    op.create_table('rectification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('case_entry_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.Enum('given_name', 'family_name', 'birth_date', 'bsn', 'entry_text', name='rectified_field', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('old_value', sa.LargeBinary(), nullable=True),
    sa.Column('new_value', sa.LargeBinary(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(field = 'entry_text') = (case_entry_id IS NOT NULL)", name=op.f('ck_rectification_entry_text_has_entry')),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_rectification_actor_id_staff_user')),
    sa.ForeignKeyConstraint(['case_entry_id'], ['case_entry.id'], name=op.f('fk_rectification_case_entry_id_case_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_rectification_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_request.id'], name=op.f('fk_rectification_request_id_privacy_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification'))
    )
    op.create_index(op.f('ix_rectification_case_entry_id'), 'rectification', ['case_entry_id'], unique=False)
    op.create_index(op.f('ix_rectification_person_id'), 'rectification', ['person_id'], unique=False)
    op.create_index(op.f('ix_rectification_request_id'), 'rectification', ['request_id'], unique=False)
    with op.batch_alter_table('letter') as batch:
        batch.alter_column('created_by_id', existing_type=sa.INTEGER(), nullable=True)
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('restricted_since', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('privacy_request') as batch:
        batch.add_column(sa.Column('language', sa.String(length=5), server_default='nl', nullable=False))
        batch.add_column(sa.Column('right_restricted_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('right_restriction_ground', sa.Enum('vital_interest', 'conflict_of_duties', name='right_restriction_ground', native_enum=False, create_constraint=True, length=40), nullable=True))
        batch.add_column(sa.Column('right_restriction_motivation', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('inform_by', sa.Date(), nullable=True))
        batch.add_column(sa.Column('informed_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('right_restriction_ended_on', sa.Date(), nullable=True))
    op.create_index(op.f('ix_privacy_request_inform_by'), 'privacy_request', ['inform_by'], unique=False)
    with op.batch_alter_table('request_event') as batch:
        batch.add_column(sa.Column('details', sa.JSON(), nullable=True))
    _enum_checks(LETTER_KINDS, EVENT_KINDS)
    for table, checks in NEW_CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, condition in checks.items():
                batch.create_check_constraint(name, condition)


def downgrade():
    for table, checks in NEW_CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name in checks:
                batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
    _enum_checks(LETTER_KINDS_BEFORE, EVENT_KINDS_BEFORE)
    with op.batch_alter_table('request_event') as batch:
        batch.drop_column('details')
    op.drop_index(op.f('ix_privacy_request_inform_by'), table_name='privacy_request')
    with op.batch_alter_table('privacy_request') as batch:
        batch.drop_constraint(op.f('ck_privacy_request_right_restriction_ground'), type_='check')
        batch.drop_column('right_restriction_ended_on')
        batch.drop_column('informed_on')
        batch.drop_column('inform_by')
        batch.drop_column('right_restriction_motivation')
        batch.drop_column('right_restriction_ground')
        batch.drop_column('right_restricted_on')
        batch.drop_column('language')
    with op.batch_alter_table('person') as batch:
        batch.drop_column('restricted_since')
    with op.batch_alter_table('letter') as batch:
        batch.alter_column('created_by_id', existing_type=sa.INTEGER(), nullable=False)
    op.drop_index(op.f('ix_rectification_request_id'), table_name='rectification')
    op.drop_index(op.f('ix_rectification_person_id'), table_name='rectification')
    op.drop_index(op.f('ix_rectification_case_entry_id'), table_name='rectification')
    op.drop_table('rectification')
    op.drop_table('letter_email')
    op.drop_index(op.f('ix_retention_count_run_id'), table_name='retention_count')
    op.drop_table('retention_count')
    op.drop_index(op.f('ix_data_breach_person_person_id'), table_name='data_breach_person')
    op.drop_table('data_breach_person')
    op.drop_index(op.f('ix_data_breach_case_case_id'), table_name='data_breach_case')
    op.drop_table('data_breach_case')
    op.drop_table('statistics_wijk')
    op.drop_table('retention_run')
    op.drop_index(op.f('ix_data_breach_partner_id'), table_name='data_breach')
    op.drop_table('data_breach')
