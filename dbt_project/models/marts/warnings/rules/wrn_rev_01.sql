{#- REV-01 年度核查逾期 (§7): an assisted dibao class A or tekun household whose
    last review (or approval, if never reviewed) is more than
    `review_months_annual` months old. Due on base + N months; overdue from the
    day after. High when overdue by more than `review_late_high_months` months. -#}
{{ config(tags=['warning_rule']) }}

{{ overdue_review_warnings(
    'REV-01',
    "assistance_type = 'tekun' or (assistance_type = 'dibao' and dibao_class = 'A')",
    'review_months_annual'
) }}
