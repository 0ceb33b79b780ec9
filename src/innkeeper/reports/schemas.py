"""The reports' answers (built as dicts by ``reports.payments``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from innkeeper.kit.outputs import Day, Out
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.schemas import MoneyOut


class PaymentsDayOut(Out):
    """Money in and out on one UTC day through one provider, in one currency."""

    date: Day
    provider: str = Field(examples=["stripe"])
    currency: str
    payments: MoneyOut
    payments_count: int
    refunds: MoneyOut
    refunds_count: int
    net: MoneyOut


class PaymentsReportOut(ListOf[PaymentsDayOut]):
    model_config = ConfigDict(populate_by_name=True)

    from_: Day = Field(alias="from")
    to: Day = Field(description="Exclusive")


class FindingOut(Out):
    kind: str = Field(examples=["folio_payments"])
    subject: str = Field(description="The booking's or the wallet account's id")
    expected: str
    found: str


class ReconcileOut(Out):
    ok: bool = Field(description="Every ledger agrees")
    bookings_checked: int
    findings: list[FindingOut]


# -- property reports (docs/reports.md) -------------------------------------------------------------------

Ratio = Annotated[str, Field(pattern=r"^\d+\.\d{4}$", examples=["0.6667"])]
Hours = Annotated[str, Field(pattern=r"^\d+\.\d{2}$", examples=["7.50"])]
Average = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["2.50"])]


class RangeOut(Out):
    model_config = ConfigDict(populate_by_name=True)

    from_: Day = Field(alias="from", description="Inclusive, property-local")
    to: Day = Field(description="Exclusive, property-local")


class OccupancyItemOut(Out):
    period: str = Field(description="2030-03-04 (day), 2030-W10 (ISO week) or 2030-03 (month)")
    start: Day
    end: Day = Field(description="Exclusive")
    rooms_available: int = Field(description="Room-nights in service (out-of-order rooms excluded)")
    rooms_sold: int
    occupancy: Ratio
    adr: MoneyOut
    revpar: MoneyOut
    room_revenue: MoneyOut = Field(description="Net of tax and discounts")


class OccupancyOut(ListOf[OccupancyItemOut], RangeOut):
    group_by: str


class RevenueItemOut(Out):
    key: str = Field(description="Source, room type id, service category or resource id")
    label: str
    bookings: int
    revenue: MoneyOut


class RevenueOut(ListOf[RevenueItemOut], RangeOut):
    group_by: str
    revenue: MoneyOut = Field(description="The items' sum")
    bookings: int = Field(description="Distinct bookings with revenue in the range")


class BookingStatsOut(RangeOut):
    created: int
    confirmed: int
    cancelled: int
    no_show: int
    expired: int
    cancellation_rate: Ratio
    average_lead_days: Average
    average_length: Average = Field(description="Nights per confirmed stay")


class UtilizationItemOut(Out):
    resource_id: str
    name: str
    kind: str
    available_hours: Hours
    booked_hours: Hours
    utilization: Ratio


class UtilizationOut(ListOf[UtilizationItemOut], RangeOut):
    pass


class TopCustomerOut(Out):
    name: str
    email: str
    bookings: int = Field(description="Bookings arriving in the range")
    visits: int = Field(description="Sold bookings at the property arriving before `to`")
    revenue: MoneyOut


class CustomersOut(RangeOut):
    customers: int
    repeat_customers: int
    repeat_rate: Ratio
    top: list[TopCustomerOut]


class RoomStatusOut(Out):
    clean: int
    dirty: int
    inspected: int
    out_of_order: int


class DashboardOut(Out):
    date: Day
    arrivals: int
    departures: int
    in_house: int
    occupancy: Ratio
    rooms_sold: int
    rooms_available: int
    room_revenue: MoneyOut
    revenue: MoneyOut = Field(description="Every stream dated that day, net of tax and discounts")
    open_service_orders: int
    rooms: RoomStatusOut
    hourly_bookings: int
    hourly_booked_hours: Hours


class DeskRoomTypeOut(Out):
    id: str
    name: str


class DeskBookingOut(Out):
    booking_id: str
    reference: str
    status: str
    source: str
    guest_name: str = Field(description="The booking's contact")
    guests: list[str]
    guests_count: int
    room_type: DeskRoomTypeOut
    rooms: list[str] = Field(description="Room numbers assigned for the night concerned")
    rooms_count: int
    checkin: Day
    checkout: Day
    nights: int
    total: MoneyOut
    balance_due: MoneyOut


class DeskListOut(ListOf[DeskBookingOut]):
    date: Day


# -- platform admin: across properties ---------------------------------------------------------------------


class AdminOccupancyItemOut(Out):
    property_id: str
    property_name: str
    currency: str
    rooms_available: int
    rooms_sold: int
    occupancy: Ratio
    adr: MoneyOut
    revpar: MoneyOut
    room_revenue: MoneyOut


class CurrencyOccupancyOut(Out):
    currency: str
    properties: int
    rooms_available: int
    rooms_sold: int
    occupancy: Ratio
    adr: MoneyOut
    revpar: MoneyOut
    room_revenue: MoneyOut


class AdminOccupancyOut(ListOf[AdminOccupancyItemOut], RangeOut):
    by_currency: list[CurrencyOccupancyOut]


class AdminRevenueItemOut(Out):
    property_id: str
    property_name: str
    currency: str
    bookings: int
    room: MoneyOut
    hourly: MoneyOut
    service: MoneyOut
    cancellation: MoneyOut
    revenue: MoneyOut


class CurrencyRevenueOut(Out):
    currency: str
    properties: int
    bookings: int
    room: MoneyOut
    hourly: MoneyOut
    service: MoneyOut
    cancellation: MoneyOut
    revenue: MoneyOut


class AdminRevenueOut(ListOf[AdminRevenueItemOut], RangeOut):
    by_currency: list[CurrencyRevenueOut]
