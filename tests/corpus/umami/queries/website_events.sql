-- getWebsiteEvents (src/queries/sql/events/getWebsiteEvents.ts) over one day, no filter,
-- no search, first page: pagedRawQuery adds the limit and offset.
select
  website_event.event_id as "id",
  website_event.website_id as "websiteId",
  website_event.session_id as "sessionId",
  website_event.created_at as "createdAt",
  website_event.hostname,
  website_event.url_path as "urlPath",
  website_event.url_query as "urlQuery",
  website_event.referrer_path as "referrerPath",
  website_event.referrer_query as "referrerQuery",
  website_event.referrer_domain as "referrerDomain",
  session.country as country,
  city as city,
  device as  device,
  os as os,
  browser as browser,
  page_title as "pageTitle",
  website_event.event_type as "eventType",
  website_event.event_name as "eventName",
  event_id IN (select website_event_id
               from event_data
               where website_id = $1::uuid
                  and created_at between $2 and $3) AS "hasData"
from website_event
join session on session.session_id = website_event.session_id
  and session.website_id = website_event.website_id
where website_event.website_id = $1::uuid
  and website_event.created_at between $2 and $3
order by website_event.created_at desc
limit 20 offset 0
