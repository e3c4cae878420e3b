"""Letters (stored PDFs, access codes, batches), partner notices (outbox), privacy requests.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 17:35:58.463257
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('extra_holiday',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['staff_user.id'], name=op.f('fk_extra_holiday_added_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extra_holiday')),
    sa.UniqueConstraint('day', name=op.f('uq_extra_holiday_day'))
    )
    op.create_table('letter_access_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('expires_at > issued_at', name=op.f('ck_letter_access_code_expires_after_issue')),
    sa.CheckConstraint('revoked_at IS NULL OR revoked_by_id IS NOT NULL', name=op.f('ck_letter_access_code_revoked_by_someone')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['staff_user.id'], name=op.f('fk_letter_access_code_issued_by_id_staff_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_letter_access_code_person_id_person')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['staff_user.id'], name=op.f('fk_letter_access_code_revoked_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_access_code')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_letter_access_code_code_hash'))
    )
    op.create_index(op.f('ix_letter_access_code_person_id'), 'letter_access_code', ['person_id'], unique=False)
    op.create_table('letter_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.Enum('information', 'acknowledgement', 'extension', 'decision', 'access_report', 'not_picked_up', 'restriction', 'restriction_ended', name='letter_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_letter_batch_created_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_batch')),
    sa.UniqueConstraint('name', name=op.f('uq_letter_batch_name'))
    )
    op.create_table('privacy_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('access', 'rectification', 'erasure', 'restriction', 'objection', name='request_type', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('filed_by', sa.Enum('subject', 'legal_representative', 'guardian', name='request_filed_by', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('representative_id', sa.Integer(), nullable=True),
    sa.Column('representative_name', sa.LargeBinary(), nullable=True),
    sa.Column('channel', sa.Enum('online', 'letter', 'desk', 'email', name='request_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.Enum('received', 'identity_to_verify', 'in_progress', 'extended', 'decided', 'closed', 'withdrawn', name='request_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('identity_method', sa.Enum('digid', 'letter_code', 'desk_id_document_seen', 'known_in_person', name='identity_method', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('identity_established_on', sa.Date(), nullable=True),
    sa.Column('identity_established_by_id', sa.Integer(), nullable=True),
    sa.Column('extended_on', sa.Date(), nullable=True),
    sa.Column('extension_reasons', sa.LargeBinary(), nullable=True),
    sa.Column('decision', sa.Enum('granted', 'partly_granted', 'refused', 'not_handled', name='request_outcome', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('decision_reasons', sa.LargeBinary(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("(filed_by = 'subject') = (representative_id IS NULL AND representative_name IS NULL)", name=op.f('ck_privacy_request_representative_when_filed_for')),
    sa.CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name=op.f('ck_privacy_request_closed_date')),
    sa.CheckConstraint("(status = 'withdrawn') = (withdrawn_on IS NOT NULL)", name=op.f('ck_privacy_request_withdrawn_date')),
    sa.CheckConstraint("(status IN ('decided', 'closed')) = (decision IS NOT NULL)", name=op.f('ck_privacy_request_decision_when_decided')),
    sa.CheckConstraint("channel = 'online' OR registered_by_id IS NOT NULL", name=op.f('ck_privacy_request_registered_by_staff')),
    sa.CheckConstraint("decision IS NULL OR decision = 'granted' OR decision_reasons IS NOT NULL", name=op.f('ck_privacy_request_reasons_unless_granted')),
    sa.CheckConstraint("status != 'extended' OR extended_on IS NOT NULL", name=op.f('ck_privacy_request_extended_has_extension')),
    sa.CheckConstraint("status NOT IN ('in_progress', 'extended') OR identity_method IS NOT NULL", name=op.f('ck_privacy_request_identity_before_processing')),
    sa.CheckConstraint('(decision IS NULL) = (decided_on IS NULL)', name=op.f('ck_privacy_request_decision_with_date')),
    sa.CheckConstraint('(extended_on IS NULL) = (extension_reasons IS NULL)', name=op.f('ck_privacy_request_extension_with_reasons')),
    sa.CheckConstraint('(identity_method IS NULL) = (identity_established_on IS NULL)', name=op.f('ck_privacy_request_identity_method_with_date')),
    sa.CheckConstraint('deadline > received_on', name=op.f('ck_privacy_request_deadline_after_receipt')),
    sa.CheckConstraint('decided_on IS NULL OR decided_on >= received_on', name=op.f('ck_privacy_request_decided_after_receipt')),
    sa.CheckConstraint('representative_id IS NULL OR representative_id != person_id', name=op.f('ck_privacy_request_not_own_representative')),
    sa.CheckConstraint('version_id >= 1', name=op.f('ck_privacy_request_version_positive')),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_user.id'], name=op.f('fk_privacy_request_assignee_id_staff_user')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], name=op.f('fk_privacy_request_decided_by_id_staff_user')),
    sa.ForeignKeyConstraint(['identity_established_by_id'], ['staff_user.id'], name=op.f('fk_privacy_request_identity_established_by_id_staff_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_privacy_request_person_id_person')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['staff_user.id'], name=op.f('fk_privacy_request_registered_by_id_staff_user')),
    sa.ForeignKeyConstraint(['representative_id'], ['person.id'], name=op.f('fk_privacy_request_representative_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_request'))
    )
    op.create_index(op.f('ix_privacy_request_assignee_id'), 'privacy_request', ['assignee_id'], unique=False)
    op.create_index(op.f('ix_privacy_request_deadline'), 'privacy_request', ['deadline'], unique=False)
    op.create_index(op.f('ix_privacy_request_person_id'), 'privacy_request', ['person_id'], unique=False)
    op.create_index(op.f('ix_privacy_request_status'), 'privacy_request', ['status'], unique=False)
    op.create_table('identity_wait',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('requested_info', sa.LargeBinary(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= started_on', name=op.f('ck_identity_wait_ends_after_start')),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_request.id'], name=op.f('fk_identity_wait_request_id_privacy_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['staff_user.id'], name=op.f('fk_identity_wait_started_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_wait'))
    )
    op.create_index(op.f('ix_identity_wait_request_id'), 'identity_wait', ['request_id'], unique=False)
    op.create_index('uq_identity_wait_open', 'identity_wait', ['request_id'], unique=True, sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))
    op.create_table('letter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('information', 'acknowledgement', 'extension', 'decision', 'access_report', 'not_picked_up', 'restriction', 'restriction_ended', name='letter_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('template', sa.String(length=120), nullable=False),
    sa.Column('template_version', sa.String(length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('request_reference', sa.String(length=40), nullable=True),
    sa.Column('channel', sa.Enum('post', 'email', 'portal', name='letter_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('page_count', sa.SmallInteger(), nullable=False),
    sa.Column('access_code_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("person_id IS NOT NULL OR kind = 'not_picked_up'", name=op.f('ck_letter_addressed_to_a_person')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_letter_sha256_hex')),
    sa.CheckConstraint('page_count > 0', name=op.f('ck_letter_has_pages')),
    sa.ForeignKeyConstraint(['access_code_id'], ['letter_access_code.id'], name=op.f('fk_letter_access_code_id_letter_access_code')),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_letter_case_id_regie_case')),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_letter_created_by_id_staff_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_letter_household_id_household')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_letter_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter')),
    sa.UniqueConstraint('access_code_id', name=op.f('uq_letter_access_code_id'))
    )
    op.create_index(op.f('ix_letter_case_id'), 'letter', ['case_id'], unique=False)
    op.create_index(op.f('ix_letter_household_id'), 'letter', ['household_id'], unique=False)
    op.create_index('ix_letter_person_created', 'letter', ['person_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_letter_person_id'), 'letter', ['person_id'], unique=False)
    op.create_index(op.f('ix_letter_request_reference'), 'letter', ['request_reference'], unique=False)
    op.create_index(op.f('ix_letter_template_version'), 'letter', ['template_version'], unique=False)
    op.create_table('partner_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('email_to', sa.String(length=200), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind != ''", name=op.f('ck_partner_notice_kind_named')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_partner_notice_attempts_not_negative')),
    sa.CheckConstraint('sent_at IS NULL OR email_to IS NOT NULL', name=op.f('ck_partner_notice_sent_has_address')),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_partner_notice_case_id_regie_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partner_id'], ['partner.id'], name=op.f('fk_partner_notice_partner_id_partner')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_partner_notice_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_notice'))
    )
    op.create_index(op.f('ix_partner_notice_case_id'), 'partner_notice', ['case_id'], unique=False)
    op.create_index(op.f('ix_partner_notice_partner_id'), 'partner_notice', ['partner_id'], unique=False)
    op.create_index(op.f('ix_partner_notice_person_id'), 'partner_notice', ['person_id'], unique=False)
    op.create_table('request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('registered', 'identity_requested', 'identity_established', 'processing_started', 'extended', 'decided', 'closed', 'withdrawn', 'assigned', 'deadline_changed', name='request_event_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.Enum('received', 'identity_to_verify', 'in_progress', 'extended', 'decided', 'closed', 'withdrawn', name='request_event_from', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('to_status', sa.Enum('received', 'identity_to_verify', 'in_progress', 'extended', 'decided', 'closed', 'withdrawn', name='request_event_to', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_request_event_actor_id_staff_user')),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_request.id'], name=op.f('fk_request_event_request_id_privacy_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_event'))
    )
    op.create_index(op.f('ix_request_event_request_id'), 'request_event', ['request_id'], unique=False)
    op.create_table('request_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff_user.id'], name=op.f('fk_request_note_author_id_staff_user')),
    sa.ForeignKeyConstraint(['request_id'], ['privacy_request.id'], name=op.f('fk_request_note_request_id_privacy_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_note'))
    )
    op.create_index(op.f('ix_request_note_request_id'), 'request_note', ['request_id'], unique=False)
    op.create_table('letter_batch_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('letter_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['letter_batch.id'], name=op.f('fk_letter_batch_item_batch_id_letter_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['regie_case.id'], name=op.f('fk_letter_batch_item_case_id_regie_case')),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_letter_batch_item_letter_id_letter')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_letter_batch_item_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_batch_item')),
    sa.UniqueConstraint('batch_id', 'person_id', 'case_id', name='uq_letter_batch_item_target'),
    sa.UniqueConstraint('batch_id', 'position', name='uq_letter_batch_item_position'),
    sa.UniqueConstraint('letter_id', name=op.f('uq_letter_batch_item_letter_id'))
    )


def downgrade():
    op.drop_table('letter_batch_item')
    op.drop_index(op.f('ix_request_note_request_id'), table_name='request_note')
    op.drop_table('request_note')
    op.drop_index(op.f('ix_request_event_request_id'), table_name='request_event')
    op.drop_table('request_event')
    op.drop_index(op.f('ix_partner_notice_person_id'), table_name='partner_notice')
    op.drop_index(op.f('ix_partner_notice_partner_id'), table_name='partner_notice')
    op.drop_index(op.f('ix_partner_notice_case_id'), table_name='partner_notice')
    op.drop_table('partner_notice')
    op.drop_index(op.f('ix_letter_template_version'), table_name='letter')
    op.drop_index(op.f('ix_letter_request_reference'), table_name='letter')
    op.drop_index(op.f('ix_letter_person_id'), table_name='letter')
    op.drop_index('ix_letter_person_created', table_name='letter')
    op.drop_index(op.f('ix_letter_household_id'), table_name='letter')
    op.drop_index(op.f('ix_letter_case_id'), table_name='letter')
    op.drop_table('letter')
    op.drop_index('uq_identity_wait_open', table_name='identity_wait', sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))
    op.drop_index(op.f('ix_identity_wait_request_id'), table_name='identity_wait')
    op.drop_table('identity_wait')
    op.drop_index(op.f('ix_privacy_request_status'), table_name='privacy_request')
    op.drop_index(op.f('ix_privacy_request_person_id'), table_name='privacy_request')
    op.drop_index(op.f('ix_privacy_request_deadline'), table_name='privacy_request')
    op.drop_index(op.f('ix_privacy_request_assignee_id'), table_name='privacy_request')
    op.drop_table('privacy_request')
    op.drop_table('letter_batch')
    op.drop_index(op.f('ix_letter_access_code_person_id'), table_name='letter_access_code')
    op.drop_table('letter_access_code')
    op.drop_table('extra_holiday')
