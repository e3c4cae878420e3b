"""Consent ledger: consent events, legal-basis register, reuse approvals, API keys; partner
contact address and task domains.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 16:57:00.741756
"""
from alembic import op
import sqlalchemy as sa

from consent.models import DROP_NO_UPDATE_TRIGGER, NO_UPDATE_TRIGGER


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner_domain',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['data_domain.id'], name=op.f('fk_partner_domain_domain_id_data_domain')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_partner_domain_partner_id_partner'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'domain_id', name=op.f('pk_partner_domain'))
    )
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_api_key_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_api_key_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_key_prefix'))
    )
    op.create_index(op.f('ix_api_key_partner_id'), 'api_key', ['partner_id'], unique=False)
    op.create_table('consent_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('plan', 'regie', 'overlast', name='purpose', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('status', sa.Enum('given', 'refused', 'withdrawn', 'expired', name='consent_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Enum('case_manager', 'person', 'privacy_desk', 'procesregisseur', 'system', name='recorded_by', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('recorder_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('bemoeizorg_conversation', 'in_writing', 'online', name='channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('information_version', sa.String(length=40), nullable=True),
    sa.Column('representative_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("expires_at IS NULL OR (status = 'given' AND expires_at > effective_at)", name=op.f('ck_consent_event_expiry_on_grants')),
    sa.CheckConstraint("status != 'given' OR information_version IS NOT NULL", name=op.f('ck_consent_event_given_is_informed')),
    sa.CheckConstraint('effective_at <= recorded_at', name=op.f('ck_consent_event_not_in_future')),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_consent_event_case_id_regie_case')),
    sa.ForeignKeyConstraint(['domain_id'], ['data_domain.id'], name=op.f('fk_consent_event_domain_id_data_domain')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_consent_event_person_id_person')),
    sa.ForeignKeyConstraint(['recipient_id'], ['partner.id'], name=op.f('fk_consent_event_recipient_id_partner')),
    sa.ForeignKeyConstraint(['recorder_id'], ['staff_user.id'], name=op.f('fk_consent_event_recorder_id_staff_user')),
    sa.ForeignKeyConstraint(['representative_id'], ['person.id'], name=op.f('fk_consent_event_representative_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_event'))
    )
    op.create_index('ix_consent_event_key_time', 'consent_event', ['person_id', 'domain_id', 'recipient_id', 'purpose', 'effective_at', 'id'], unique=False)
    op.create_table('legal_basis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.SmallInteger(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('plan', 'regie', 'overlast', name='purpose', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('basis', sa.Enum('consent', 'vital_interest', 'public_task', 'legitimate_interest', 'further_processing', 'conflict_of_duties', name='basis', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('statute', sa.String(length=200), nullable=True),
    sa.Column('proportionality', sa.LargeBinary(), nullable=False),
    sa.Column('subsidiarity', sa.LargeBinary(), nullable=False),
    sa.Column('urgency', sa.LargeBinary(), nullable=True),
    sa.Column('conflict_of_duties', sa.LargeBinary(), nullable=True),
    sa.Column('compatibility_a', sa.LargeBinary(), nullable=True),
    sa.Column('compatibility_b', sa.LargeBinary(), nullable=True),
    sa.Column('compatibility_c', sa.LargeBinary(), nullable=True),
    sa.Column('compatibility_d', sa.LargeBinary(), nullable=True),
    sa.Column('compatibility_e', sa.LargeBinary(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("basis != 'conflict_of_duties' OR conflict_of_duties IS NOT NULL", name=op.f('ck_legal_basis_conflict_is_documented')),
    sa.CheckConstraint("basis != 'public_task' OR statute IS NOT NULL", name=op.f('ck_legal_basis_public_task_has_statute')),
    sa.CheckConstraint("basis != 'vital_interest' OR urgency IS NOT NULL", name=op.f('ck_legal_basis_vital_interest_is_urgent')),
    sa.CheckConstraint('phase BETWEEN 1 AND 8', name=op.f('ck_legal_basis_phase_range')),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_legal_basis_case_id_regie_case')),
    sa.ForeignKeyConstraint(['domain_id'], ['data_domain.id'], name=op.f('fk_legal_basis_domain_id_data_domain')),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_legal_basis_partner_id_partner')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_legal_basis_recorded_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_basis'))
    )
    op.create_index(op.f('ix_legal_basis_case_id'), 'legal_basis', ['case_id'], unique=False)
    op.create_index('ix_legal_basis_lookup', 'legal_basis', ['partner_id', 'domain_id', 'purpose', 'case_id'], unique=False)
    op.create_table('reuse_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('source_partner_id', sa.Integer(), nullable=False),
    sa.Column('user_partner_id', sa.Integer(), nullable=False),
    sa.Column('own_task', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'approved', 'refused', name='reuse_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("(status = 'requested') = (decided_at IS NULL)", name=op.f('ck_reuse_approval_decided_has_date')),
    sa.CheckConstraint('source_partner_id != user_partner_id', name=op.f('ck_reuse_approval_another_partner')),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_reuse_approval_case_id_regie_case')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], name=op.f('fk_reuse_approval_decided_by_id_staff_user')),
    sa.ForeignKeyConstraint(['domain_id'], ['data_domain.id'], name=op.f('fk_reuse_approval_domain_id_data_domain')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_reuse_approval_person_id_person')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['staff_user.id'], name=op.f('fk_reuse_approval_requested_by_id_staff_user')),
    sa.ForeignKeyConstraint(['source_partner_id'], ['partner.id'], name=op.f('fk_reuse_approval_source_partner_id_partner')),
    sa.ForeignKeyConstraint(['user_partner_id'], ['partner.id'], name=op.f('fk_reuse_approval_user_partner_id_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reuse_approval'))
    )
    op.create_index(op.f('ix_reuse_approval_case_id'), 'reuse_approval', ['case_id'], unique=False)
    op.create_index('ix_reuse_lookup', 'reuse_approval', ['person_id', 'domain_id', 'source_partner_id', 'user_partner_id'], unique=False)
    op.add_column('partner', sa.Column('contact_email', sa.String(length=200), nullable=True))
    for statement in NO_UPDATE_TRIGGER.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in DROP_NO_UPDATE_TRIGGER.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_column('partner', 'contact_email')
    op.drop_index('ix_reuse_lookup', table_name='reuse_approval')
    op.drop_index(op.f('ix_reuse_approval_case_id'), table_name='reuse_approval')
    op.drop_table('reuse_approval')
    op.drop_index('ix_legal_basis_lookup', table_name='legal_basis')
    op.drop_index(op.f('ix_legal_basis_case_id'), table_name='legal_basis')
    op.drop_table('legal_basis')
    op.drop_index('ix_consent_event_key_time', table_name='consent_event')
    op.drop_table('consent_event')
    op.drop_index(op.f('ix_api_key_partner_id'), table_name='api_key')
    op.drop_table('api_key')
    op.drop_table('partner_domain')
