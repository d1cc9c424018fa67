{#- REV-02 半年核查逾期 (§7): an assisted dibao class B household whose last review
    (or approval, if never reviewed) is more than `review_months_semiannual` months
    old. Due on base + N months; overdue from the day after. High when overdue by
    more than `review_late_high_months` months. -#}
{{ config(tags=['warning_rule']) }}

{{ overdue_review_warnings(
    'REV-02',
    "assistance_type = 'dibao' and dibao_class = 'B'",
    'review_months_semiannual'
) }}
