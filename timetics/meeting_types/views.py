from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from ..auth.access import admin_required
from ..auth.forms import EmptyForm
from ..extensions import db
from ..models import BookingQuestion, MeetingType, User, zoom_cuts_short
from ..templating import render_form
from . import services
from .forms import QUESTION_KIND_LABELS, MeetingTypeForm, MoveQuestionForm, QuestionForm

bp = Blueprint("meeting_types", __name__, url_prefix="/meeting-types")


@bp.get("")
@admin_required
def index():
    types = db.session.scalars(  # each row names its host and the host's Zoom state
        db.select(MeetingType).options(
            selectinload(MeetingType.host).selectinload(User.zoom_connection))
        .order_by(MeetingType.name)).all()
    return render_template("meeting_types/index.html", types=types, action_form=EmptyForm())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    return _edit(MeetingType())


@bp.route("/<int:type_id>", methods=["GET", "POST"])
@admin_required
def edit(type_id: int):
    return _edit(db.get_or_404(MeetingType, type_id))


@bp.post("/<int:type_id>/active")
@admin_required
def toggle_active(type_id: int):
    meeting_type = db.get_or_404(MeetingType, type_id)
    if EmptyForm().validate_on_submit():
        services.set_active(meeting_type, not meeting_type.active)
        flash(_("“%(name)s” is now active.", name=meeting_type.name) if meeting_type.active
              else _("“%(name)s” is now inactive.", name=meeting_type.name), "success")
    return redirect(url_for("meeting_types.index"))


def _type_form(meeting_type: MeetingType, **kwargs) -> MeetingTypeForm:
    form = MeetingTypeForm(obj=meeting_type if meeting_type.id else None, **kwargs)
    form.host_id.choices = [SelectChoice(u.id, f"{u.name} ({u.email})")
                            for u in services.possible_hosts()]
    return form


def _edit_page(meeting_type: MeetingType, form: MeetingTypeForm,
               question_form: QuestionForm | None = None, *, extra_errors: bool = False):
    """The meeting type's page: its form and, once it exists, its booking questions."""
    if meeting_type.id and question_form is None:
        question_form = QuestionForm(formdata=None, prefix="question")
    host = db.session.get(User, form.host_id.data) if isinstance(form.host_id.data, int) \
        else None
    return render_form("meeting_types/edit.html", form,
                       meeting_type=meeting_type, question_form=question_form,
                       action_form=EmptyForm(), move_form=MoveQuestionForm(),
                       kind_labels=QUESTION_KIND_LABELS,
                       extra_errors=extra_errors,
                       cut_short=zoom_cuts_short(host, form.duration_minutes.data,
                                                 form.location.data))


def _edit(meeting_type: MeetingType):
    form = _type_form(meeting_type)
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.FIELDS}
        try:
            services.save_meeting_type(meeting_type, values)
        except services.SlugTaken as e:
            db.session.rollback()
            form.slug.errors.append(str(e))
        else:
            flash(_("Meeting type “%(name)s” saved.", name=meeting_type.name), "success")
            return redirect(url_for("meeting_types.index"))
    return _edit_page(meeting_type, form, extra_errors=bool(form.slug.errors))


def _question_or_404(type_id: int, question_id: int) -> BookingQuestion:
    question = db.get_or_404(BookingQuestion, question_id)
    if question.meeting_type_id != type_id:
        abort(404)
    return question


def _back_to_questions(type_id: int):
    return redirect(url_for("meeting_types.edit", type_id=type_id, _anchor="questions"))


@bp.post("/<int:type_id>/questions")
@admin_required
def add_question(type_id: int):
    meeting_type = db.get_or_404(MeetingType, type_id)
    form = QuestionForm(prefix="question")
    if form.validate_on_submit():
        try:
            services.add_question(meeting_type, {n: form[n].data
                                                 for n in services.QUESTION_FIELDS})
        except services.TooManyQuestions as e:
            form.label.errors.append(str(e))
        else:
            flash(_("Question “%(question)s” added.", question=form.label.data), "success")
            return _back_to_questions(type_id)
    return _edit_page(meeting_type, _type_form(meeting_type, formdata=None), form,
                      extra_errors=True)


@bp.route("/<int:type_id>/questions/<int:question_id>", methods=["GET", "POST"])
@admin_required
def edit_question(type_id: int, question_id: int):
    question = _question_or_404(type_id, question_id)
    form = QuestionForm(obj=question, prefix="question")
    if form.validate_on_submit():
        services.update_question(question, {n: form[n].data for n in services.QUESTION_FIELDS})
        flash(_("Question “%(question)s” saved.", question=question.label), "success")
        return _back_to_questions(type_id)
    return render_form("meeting_types/question.html", form, question=question,
                       meeting_type=question.meeting_type)


@bp.post("/<int:type_id>/questions/<int:question_id>/move")
@admin_required
def move_question(type_id: int, question_id: int):
    question = _question_or_404(type_id, question_id)
    form = MoveQuestionForm()
    if not form.validate_on_submit():
        abort(400, _("Move the question up or down."))
    services.move_question(question, up=form.direction.data == "up")
    return _back_to_questions(type_id)


@bp.post("/<int:type_id>/questions/<int:question_id>/remove")
@admin_required
def remove_question(type_id: int, question_id: int):
    question = _question_or_404(type_id, question_id)
    if EmptyForm().validate_on_submit():
        services.remove_question(question)
        flash(_("Question “%(question)s” removed; answers already given are kept.",
                question=question.label), "success")
    return _back_to_questions(type_id)
