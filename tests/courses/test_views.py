import pytest
from django.urls import reverse

from courses.models import Lesson, LessonProgress, Module


@pytest.mark.parametrize(
    "url", ["/", "/lessons/lambda-limits/", "/search/?q=lambda", "/instructor/report/"]
)
def test_anonymous_users_are_sent_to_log_in(client, course, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url.replace('?', '%3F').replace('=', '%3D')}"


def test_learner_gets_403_on_the_content_report(client, course, learner):
    client.force_login(learner)
    response = client.get("/instructor/report/")
    assert response.status_code == 403
    assert "This page is for instructors." in response.content.decode()
    assert client.post("/instructor/reimport/").status_code == 403


def test_instructor_sees_conflicts_stale_mentions_and_images(client, course, instructor):
    client.force_login(instructor)
    page = client.get("/instructor/report/").content.decode()
    assert "Conflicts between notes" in page
    assert "“At most 3GB of memory per execution”" not in page  # the report quotes the matched text
    assert "002_528d006fabd1e573.txt:45" in page
    assert "images/apigateway-lambda.png" in page
    assert "remote, not fetched" in page


def test_course_page_lists_modules_lessons_and_progress(client, course, learner):
    lesson = Lesson.objects.get(slug="lambda-limits")
    LessonProgress.objects.create(user=learner, lesson=lesson, completed_at="2026-11-22T10:00:00Z")
    client.force_login(learner)
    page = client.get("/").content.decode()
    total = Lesson.objects.count()
    assert f'<strong data-testid="progress-count">1 of {total}</strong>' in page
    for module in Module.objects.all():
        assert module.title in page


def test_lesson_page_merged_and_by_source(client, course, learner):
    client.force_login(learner)
    lesson = Lesson.objects.get(slug="lambda-limits")
    merged = client.get(lesson.get_absolute_url()).content.decode()
    assert "<h1>Lambda limits</h1>" in merged
    assert "This note says 3 GB; since December 2020" in merged
    assert "Also in:" in merged
    by_source = client.get(lesson.get_absolute_url() + "?view=source").content.decode()
    notes = {s.note.title for s in lesson.sections.select_related("note")}
    for title in notes:
        assert f"<h2>{title}</h2>" in by_source
    assert by_source.count('class="source"') == len(notes)


def test_mark_done_and_undo(client, course, learner, other_learner):
    client.force_login(learner)
    lesson = Lesson.objects.get(slug="lambda-limits")
    response = client.post(reverse("courses:mark_done", args=[lesson.slug]), {"done": "1"})
    assert response.url == lesson.get_absolute_url()
    client.post(reverse("courses:mark_done", args=[lesson.slug]), {"done": "1"})  # idempotent
    assert list(LessonProgress.objects.values_list("user__username", "lesson__slug")) == [
        ("lena", "lambda-limits")
    ]
    assert 'data-testid="done-state"' in client.get(lesson.get_absolute_url()).content.decode()
    client.force_login(other_learner)
    assert 'data-testid="done-state"' not in client.get(lesson.get_absolute_url()).content.decode()
    client.force_login(learner)
    client.post(reverse("courses:mark_done", args=[lesson.slug]), {"done": "0"})
    assert LessonProgress.objects.count() == 0


def test_mark_done_needs_post_and_unknown_lesson_is_404(client, course, learner):
    client.force_login(learner)
    assert client.get(reverse("courses:mark_done", args=["lambda-limits"])).status_code == 405
    assert client.get("/lessons/no-such-lesson/").status_code == 404


def test_search_highlights_matches(client, course, learner):
    client.force_login(learner)
    page = client.get("/search/?q=ephemeral").content.decode()
    assert "<mark>" in page
    empty = client.get("/search/?q=zzqqxx").content.decode()
    assert "0 lessons match <strong>zzqqxx</strong>." in empty
    script = client.get("/search/?q=%3Cscript%3E").content.decode()
    assert "<script>" not in script


def _lessons(n: int) -> None:
    module = Module.objects.create(slug="m", title="M", order=0)
    for i in range(n):
        Lesson.objects.create(
            module=module, slug=f"l{i}", title=f"L{i}", order=i, search_text="zebrafish text"
        )


@pytest.mark.parametrize("count", [1, 6])
def test_course_page_query_count_is_constant(client, learner, django_assert_num_queries, count):
    _lessons(count)
    client.force_login(learner)
    # session, user, 2 x permissions (instructor link), modules, lessons (prefetch), progress
    with django_assert_num_queries(7):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("count", [1, 6])
def test_search_query_count_is_constant(client, learner, django_assert_num_queries, count):
    _lessons(count)
    client.force_login(learner)
    # session, user, 2 x permissions (instructor link), lessons with modules
    with django_assert_num_queries(5):
        page = client.get("/search/?q=zebrafish").content.decode()
    assert page.count('<p class="snippet">') == count


def test_lesson_page_query_count_is_the_same_for_small_and_large_lessons(
    client, course, learner, django_assert_num_queries
):
    client.force_login(learner)
    sizes = sorted(Lesson.objects.all(), key=lambda lesson: lesson.sections.count())
    for lesson in (sizes[0], sizes[-1]):
        # session, user, lesson, sections+notes, modules, lessons (prefetch), progress,
        # linked labs, 2 x permissions (instructor link)
        with django_assert_num_queries(10):
            assert client.get(lesson.get_absolute_url()).status_code == 200


def test_instructor_reimport_runs_the_import_task_after_commit(
    client, course, instructor, django_capture_on_commit_callbacks, settings, tmp_path
):
    import shutil

    from config.celery import app

    content = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, content)
    outline = content / "course.yaml"
    outline.write_text(
        outline.read_text().replace("title: Lambda limits\n", "title: Lambda quotas\n", 1)
    )
    settings.CONTENT_DIR = content
    client.force_login(instructor)
    app.conf.task_always_eager = True  # run the task in-process, through Celery's API
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post("/instructor/reimport/", follow=True)
    finally:
        app.conf.task_always_eager = False
    assert len(callbacks) == 1
    page = response.content.decode()
    assert "Content import queued; refresh this report in a few seconds." in page
    assert response.redirect_chain == [("/instructor/report/", 302)]
    assert Lesson.objects.get(slug="lambda-limits").title == "Lambda quotas"


def test_lesson_page_links_its_labs_and_lesson_practice(client, course, learner):
    from labs.models import Lab

    lab = Lab.objects.filter(is_active=True).order_by("slug").first()
    lesson = lab.lessons.order_by("order").first()
    client.force_login(learner)
    page = client.get(lesson.get_absolute_url()).content.decode()
    assert f'href="/labs/{lab.slug}/">Lab: {lab.title}</a>' in page
    assert f'href="/quizzes/practice/?lesson={lesson.slug}">' in page
