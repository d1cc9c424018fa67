-- Every ps_hukou delivery (on or before as_of) of the persons any delivery marks
-- deceased: their rows of every snapshot, not only the newest, so int_deaths can
-- date a death recorded without a status date by the first extract that said so
-- and see a later correction. Only those persons, to keep the table small.
-- `not materialized`: read twice below; DuckDB would otherwise hold every row of every
-- snapshot (61 M at scale 10: 14 CPU s and 3 GB) instead of scanning the Parquet twice,
-- the second scan filtered to the deceased by the reader (2.7 CPU s, 0.25 GB).
with delivered as not materialized (
    select
        cast(id_number as varchar) as id_number,
        cast(hukou_status as varchar) as hukou_status,
        cast(status_changed_on as date) as status_changed_on,
        cast(_extract_date as date) as extract_date
    from {{ source('raw', 'ps_hukou') }}
    where _extract_date <= {{ as_of() }}
)

select distinct
    id_number,
    hukou_status,
    status_changed_on,
    extract_date
from delivered
where id_number in (select id_number from delivered where hukou_status = 'deceased')
