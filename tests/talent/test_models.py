def test_the_course_form_offers_the_terms_in_calendar_order():
    from innovation_center.talent.forms import CourseForm

    offered = [value for value, _label in CourseForm().fields["term"].choices if value]
    assert offered == ["spring", "summer", "autumn"]
