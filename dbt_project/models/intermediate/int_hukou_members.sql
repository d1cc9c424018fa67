-- Persons registered in a hukou household (ps_hukou, status normal), with the
-- household head (relation `self`) so rules can report a hukou household by its head.
with registered as (
    select
        id_number,
        hukou_no,
        relation_to_head,
        region_code,
        {{ birth_date_of('id_number') }} as birth_date
    from {{ ref('stg_ps_hukou') }}
    where hukou_status = 'normal'
),

heads as (
    select
        hukou_no,
        min(id_number) as head_id_number
    from registered
    where relation_to_head = 'self'
    group by hukou_no
)

select
    registered.id_number,
    registered.hukou_no,
    registered.relation_to_head,
    registered.region_code,
    {{ banner_of('registered.region_code') }} as banner_code,
    {{ township_of('registered.region_code') }} as township_code,
    registered.birth_date,
    {{ age_on('registered.birth_date', as_of()) }} as age,
    heads.head_id_number
from registered
left join heads on heads.hukou_no = registered.hukou_no
