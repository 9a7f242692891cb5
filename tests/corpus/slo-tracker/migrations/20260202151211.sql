-- Modify "incidents" table
ALTER TABLE "public"."incidents" ADD COLUMN "observations" text NULL;
