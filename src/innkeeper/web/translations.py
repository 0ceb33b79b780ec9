"""The site's Portuguese (Portugal) texts, keyed by the English text of the templates and pages
(see ``web.i18n``). ``tests/web/test_i18n.py`` fails when a text of a template has no entry here."""

from __future__ import annotations

PT: dict[str, str] = {
    # layout, navigation, errors
    "Book rooms and halls": "Reserve quartos e salas",
    "Skip to content": "Saltar para o conteúdo",
    "Main": "Principal",
    "Language": "Idioma",
    "Search": "Pesquisar",
    "Find a booking": "Encontrar uma reserva",
    "My account": "A minha conta",
    "Sign in": "Entrar",
    "Sign out": "Sair",
    "Sign out everywhere": "Sair em todos os dispositivos",
    "About": "Sobre",
    "API docs": "Documentação da API",
    "Development outbox": "Caixa de saída de desenvolvimento",
    "Development": "Desenvolvimento",
    "Operators": "Operadores",
    "Health": "Estado",
    "Explore the API": "Explorar a API",
    "Rooms by the night. Halls and professionals by the hour.": (
        "Quartos à noite. Salas e profissionais à hora."
    ),
    "Innkeeper is an open booking and property-management platform: guests search and book across "
    "every property, staff run rates, inventory, check-in and billing, and integrators use a clean "
    "HTTP API.": (
        "O Innkeeper é uma plataforma aberta de reservas e gestão de alojamento: os hóspedes pesquisam e "
        "reservam em todas as propriedades, as equipas gerem tarifas, inventário, check-in e faturação, e "
        "os integradores usam uma API HTTP clara."
    ),
    "Page not found": "Página não encontrada",
    "Not allowed": "Não permitido",
    "That did not work": "Não foi possível",
    "Please check what you entered": "Verifique o que introduziu",
    "Too many requests": "Demasiados pedidos",
    "Something went wrong": "Algo correu mal",
    "Temporarily unavailable": "Temporariamente indisponível",
    "We could not find this page. It may have moved, or the link may be mistyped.": (
        "Não encontrámos esta página. Pode ter mudado de sítio, ou a ligação pode ter um erro."
    ),
    "Sorry, this is our fault. Please try again in a moment.": (
        "Desculpe, o erro é nosso. Tente de novo daqui a pouco."
    ),
    "Some of the values sent are not valid.": "Alguns dos valores enviados não são válidos.",
    "Reference for support": "Referência para o apoio",
    "Back to search": "Voltar à pesquisa",
    "This form has expired. Reload the page and try again.": (
        "Este formulário expirou. Recarregue a página e tente de novo."
    ),
    # search
    "Find a place to stay": "Encontre onde ficar",
    "Rooms by the night, halls and professionals by the hour. Prices shown are for the whole stay.": (
        "Quartos à noite, salas e profissionais à hora. Os preços mostrados são para a estadia inteira."
    ),
    "Popular cities": "Cidades populares",
    "City": "Cidade",
    "Check-in": "Entrada",
    "Check-out": "Saída",
    "Guests": "Hóspedes",
    "Rooms": "Quartos",
    "Room": "Quarto",
    "Stays in {city}": "Estadias em {city}",
    "Filters": "Filtros",
    "Minimum price": "Preço mínimo",
    "Maximum price": "Preço máximo",
    "Stars": "Estrelas",
    "Amenities": "Comodidades",
    "Sort by": "Ordenar por",
    "Lowest price": "Preço mais baixo",
    "Best rated": "Melhor avaliação",
    "Apply": "Aplicar",
    "{n} properties found": "{n} propriedades encontradas",
    "{n} nights": "{n} noites",
    "for {n} nights": "por {n} noites",
    "from {p} a night": "desde {p} por noite",
    "rated {r}": "avaliação {r}",
    "{km} km away": "a {km} km",
    "{n} stars": "{n} estrelas",
    "Nothing available for these dates. Try other dates or fewer filters.": (
        "Nada disponível nestas datas. Experimente outras datas ou menos filtros."
    ),
    "Pages": "Páginas",
    "Previous": "Anterior",
    "Next": "Seguinte",
    "Page {n} of {m}": "Página {n} de {m}",
    "Enter a city": "Indique uma cidade",
    "Enter a date": "Indique uma data",
    "Check-out must be after check-in": "A saída tem de ser depois da entrada",
    # property
    "Photos": "Fotografias",
    "Photo {n} of {name}": "Fotografia {n} de {name}",
    "Your dates": "As suas datas",
    "Show prices": "Ver preços",
    "Sleeps {n}": "Para {n} pessoas",
    "{n} left": "restam {n}",
    "Book": "Reservar",
    "Book {name}": "Reservar {name}",
    "Not available for these dates": "Indisponível nestas datas",
    "No room takes this many guests. Try more rooms or fewer guests.": (
        "Nenhum quarto aceita tantos hóspedes. Experimente mais quartos ou menos hóspedes."
    ),
    "Prices by arrival day": "Preços por dia de chegada",
    "Arrival days with the price of one night": "Dias de chegada com o preço de uma noite",
    "Later dates": "Datas seguintes",
    "full": "esgotado",
    "House rules": "Regras da casa",
    "from {t}": "a partir das {t}",
    "until {t}": "até às {t}",
    "Cancellation": "Cancelamento",
    "Payment": "Pagamento",
    "Address": "Morada",
    "Reviews": "Avaliações",
    "No reviews yet.": "Ainda sem avaliações.",
    "Reply from the property": "Resposta da propriedade",
    "Save to favorites": "Guardar nos favoritos",
    "Saved to favorites": "Guardado nos favoritos",
    "Favorites": "Favoritos",
    "No favorites yet.": "Ainda sem favoritos.",
    "Loyalty": "Fidelização",
    "Tier: {tier}": "Nível: {tier}",
    "{n} points": "{n} pontos",
    "{n} points to {tier}": "faltam {n} pontos para {tier}",
    "policy: flexible": "flexível: reembolso total até 24 h antes",
    "policy: moderate": "moderada: reembolso total até 5 dias antes, depois 50 %",
    "policy: strict": "rígida: 50 % até 7 dias antes",
    "policy: non_refundable": "não reembolsável",
    "policy: hall_tiers": "por escalões: 75 % a mais de 48 h, 50 % a 24-48 h, 25 % depois",
    "payment: prepay": "pagamento antecipado",
    "payment: deposit": "sinal na reserva",
    "payment: at_property": "pagamento no local",
    # resources
    "up to {n} people": "até {n} pessoas",
    "from {p} an hour": "desde {p} por hora",
    "When": "Quando",
    "Day": "Dia",
    "Duration": "Duração",
    "{h} h": "{h} h",
    "People": "Pessoas",
    "Where": "Onde",
    "Show free times": "Ver horários livres",
    "Next days": "Próximos dias",
    "Free times on {day}": "Horários livres em {day}",
    "No free time that day. Try another day or a shorter duration.": (
        "Sem horários livres nesse dia. Experimente outro dia ou uma duração menor."
    ),
    "Add-ons": "Extras",
    "hall": "sala de eventos",
    "meeting room": "sala de reuniões",
    "professional": "profissional",
    "on site": "no local",
    "travel": "deslocação",
    "online": "online",
    "per booking": "por reserva",
    "per hour": "por hora",
    "per person": "por pessoa",
    # booking flow
    "Review and book": "Rever e reservar",
    "Choose other dates": "Escolher outras datas",
    "Price breakdown": "Detalhe do preço",
    "Night of {date}": "Noite de {date}",
    "included": "incluído",
    "Total": "Total",
    "Your details": "Os seus dados",
    "Booking as {name}": "A reservar como {name}",
    "Full name": "Nome completo",
    "E-mail": "E-mail",
    "Phone (optional)": "Telefone (opcional)",
    "Have an account?": "Tem conta?",
    "Latitude": "Latitude",
    "Longitude": "Longitude",
    "Guest names (optional)": "Nomes dos hóspedes (opcional)",
    "Guest {n}": "Hóspede {n}",
    "Promo code": "Código promocional",
    "Update price": "Atualizar preço",
    "Book and continue to payment": "Reservar e continuar para o pagamento",
    "Your rooms are held for a few minutes while you pay.": (
        "Guardamos a sua reserva durante alguns minutos enquanto paga."
    ),
    "{n} guests": "{n} hóspedes",
    "{n} rooms": "{n} quartos",
    "Accommodation": "Alojamento",
    # one booking
    "Booking {ref}": "Reserva {ref}",
    "Status": "Estado",
    "This hold has expired and the rooms were released.": (
        "Esta reserva expirou e os quartos foram libertados."
    ),
    "Try again": "Tentar de novo",
    "Held for you until {time}.": "Guardada para si até {time}.",
    "This hold has expired. Reload the page.": "Esta reserva expirou. Recarregue a página.",
    "Pay {amount}": "Pagar {amount}",
    "Waiting for the payment to be confirmed…": "A aguardar a confirmação do pagamento…",
    "Pay again": "Pagar de novo",
    "Confirmed. Your reference is {ref}.": "Confirmada. A sua referência é {ref}.",
    "Cancelled.": "Cancelada.",
    "Refund on its way: {amount}.": "Reembolso a caminho: {amount}.",
    "Reference": "Referência",
    "Contact": "Contacto",
    "Paid": "Pago",
    "Balance due": "Em dívida",
    "Add to calendar (.ics)": "Adicionar ao calendário (.ics)",
    "Invoice (PDF)": "Fatura (PDF)",
    "Change dates": "Alterar datas",
    "Cancel booking": "Cancelar reserva",
    "Price": "Preço",
    "Your booking is cancelled.": "A sua reserva foi cancelada.",
    "Refund: {amount} to your {dest}.": "Reembolso: {amount} para o seu {dest}.",
    "card": "cartão",
    "wallet": "carteira",
    "Cancel booking {ref}": "Cancelar a reserva {ref}",
    "If you cancel now, you get back {amount} ({percent}% of what you paid), to your {dest}.": (
        "Se cancelar agora, recebe {amount} ({percent}% do que pagou), no seu {dest}."
    ),
    "Yes, cancel it": "Sim, cancelar",
    "Keep my booking": "Manter a reserva",
    "This booking can no longer be cancelled.": "Esta reserva já não pode ser cancelada.",
    "Back to the booking": "Voltar à reserva",
    "The new dates are priced again; if the price changes, the difference is charged or refunded.": (
        "As novas datas têm novo preço; se mudar, a diferença é cobrada ou reembolsada."
    ),
    "reserved": "reservada",
    "guests added": "hóspedes indicados",
    "payment pending": "pagamento pendente",
    "confirmed": "confirmada",
    "cancelled": "cancelada",
    "expired": "expirada",
    "checked in": "em estadia",
    "checked out": "concluída",
    "no show": "não compareceu",
    # checkout
    "Simulated checkout": "Pagamento simulado",
    "This is the built-in test gateway: no card is charged. Choose what the card does.": (
        "Este é o gateway de teste incorporado: nenhum cartão é cobrado. Escolha o que o cartão faz."
    ),
    "Sent a signed webhook": "Webhook assinado enviado",
    "The payment updates as soon as the inbox processes it.": (
        "O pagamento atualiza assim que a caixa de entrada o processar."
    ),
    "Back to your booking": "Voltar à sua reserva",
    "Pay": "Pagar",
    "Fail": "Falhar",
    "Nothing left to pay.": "Nada por pagar.",
    # sign in and account
    "With e-mail and password": "Com e-mail e palavra-passe",
    "Password": "Palavra-passe",
    "With your phone": "Com o seu telemóvel",
    "We sent a 6-digit code to {phone}.": "Enviámos um código de 6 dígitos para {phone}.",
    "See it in the development outbox": "Veja-o na caixa de saída de desenvolvimento",
    "Code": "Código",
    "Phone number": "Número de telemóvel",
    "With the country code. We text you a code; no password needed.": (
        "Com o indicativo do país. Enviamos-lhe um código por SMS; não precisa de palavra-passe."
    ),
    "Send me a code": "Enviar-me um código",
    "Booked without an account?": "Reservou sem conta?",
    "Find your booking": "Encontre a sua reserva",
    "Enter your e-mail address and password.": "Indique o seu e-mail e palavra-passe.",
    "Enter a phone number like +351912345678.": "Indique um número como +351912345678.",
    "Enter the 6-digit code.": "Indique o código de 6 dígitos.",
    "Invalid e-mail or password": "E-mail ou palavra-passe inválidos",
    # -- sign-up and card payment with Stripe, Portuguese (web/guest/signup.py, web/guest/stripe_pay.py)
    "New here?": "Ainda não tem conta?",
    "Create an account": "Criar uma conta",
    "Create account": "Criar conta",
    "Already have an account?": "Já tem conta?",
    "Sign in instead": "Entrar na sua conta",
    "At least {n} characters.": "Pelo menos {n} caracteres.",
    "With the country code, like +351912345678.": "Com o indicativo do país, como +351912345678.",
    "Please check the fields marked below.": "Verifique os campos assinalados abaixo.",
    "Enter your full name": "Indique o seu nome completo",
    "Enter an e-mail address like name@example.com": "Indique um e-mail como nome@example.com",
    "Enter a password": "Indique uma palavra-passe",
    "An account with this e-mail already exists": "Já existe uma conta com este e-mail",
    "An account with this phone number already exists": "Já existe uma conta com este número de telemóvel",
    "Pay by card": "Pagar com cartão",
    "Preparing the payment…": "A preparar o pagamento…",
    "The card form could not be loaded. Check your connection and reload the page.": (
        "Não foi possível carregar o formulário do cartão. Verifique a ligação e recarregue a página."
    ),
    "This payment is made. Your booking page shows the confirmation.": (
        "Este pagamento está feito. A página da sua reserva mostra a confirmação."
    ),
    "This payment did not go through. You can try again from your booking.": (
        "Este pagamento não foi concluído. Pode tentar de novo a partir da sua reserva."
    ),
    "This payment is no longer open. You can start a new one from your booking.": (
        "Este pagamento já não está aberto. Pode iniciar um novo a partir da sua reserva."
    ),
    # -- end of sign-up and Stripe, Portuguese
    "Upcoming bookings": "Próximas reservas",
    "Past and cancelled bookings": "Reservas passadas e canceladas",
    "None.": "Nenhuma.",
    "Wallet": "Carteira",
    "Balance": "Saldo",
    "Latest movements": "Últimos movimentos",
    "Date": "Data",
    "What": "Descrição",
    "Amount": "Montante",
    "Your wallet is empty. Refunds to your wallet appear here.": (
        "A sua carteira está vazia. Os reembolsos para a carteira aparecem aqui."
    ),
    "Where you are signed in": "Onde tem sessão iniciada",
    "Unknown device": "Dispositivo desconhecido",
    "this browser": "este navegador",
    # lookup
    "Your reference and e-mail": "A sua referência e e-mail",
    "Booking reference": "Referência da reserva",
    "E-mail used to book": "E-mail usado na reserva",
    "Find": "Procurar",
    "No booking with this reference and e-mail": "Não há nenhuma reserva com esta referência e e-mail",
    # amenities
    "wifi": "wi-fi",
    "breakfast": "pequeno-almoço",
    "parking": "estacionamento",
    "pool": "piscina",
    "gym": "ginásio",
    "spa": "spa",
    "restaurant": "restaurante",
    "air conditioning": "ar condicionado",
    # support tickets (account)
    "Support tickets": "Pedidos de apoio",
    "My tickets": "Os meus pedidos",
    "Ask for help": "Pedir ajuda",
    "Subject": "Assunto",
    "About a booking (optional)": "Sobre uma reserva (opcional)",
    "No booking": "Nenhuma reserva",
    "Message": "Mensagem",
    "Messages": "Mensagens",
    "Send": "Enviar",
    "Reply": "Responder",
    "You": "Você",
    "Support": "Apoio",
    "The booking": "A reserva",
    "This ticket is closed. Open a new one if you need more help.": (
        "Este pedido está fechado. Abra um novo se precisar de mais ajuda."
    ),
    "Write a message first": "Escreva primeiro uma mensagem",
    "Required, up to the allowed length": "Obrigatório, até ao comprimento permitido",
    "A closed ticket takes no more messages; open a new one": (
        "Um pedido fechado não recebe mais mensagens; abra um novo"
    ),
    "open": "aberto",
    "resolved": "resolvido",
    "closed": "fechado",
    "pending": "pendente",
    # loyalty redemption on the account page (web/guest/account.py)
    "Points to turn into wallet credit": "Pontos a converter em crédito na carteira",
    "Each point is worth {value}.": "Cada ponto vale {value}.",
    "Redeem": "Converter",
    "Enter a whole number of points": "Introduza um número inteiro de pontos",
    # managing a booking without an account (web/guest/guest_link.py)
    "To change or cancel it here, we can e-mail a link to the address of the booking.": (
        "Para a alterar ou cancelar aqui, podemos enviar uma ligação para o e-mail da reserva."
    ),
    "E-mail me a link to manage it": "Enviar-me uma ligação para a gerir",
    "This booking belongs to an account: sign in to change or cancel it.": (
        "Esta reserva pertence a uma conta: entre para a alterar ou cancelar."
    ),
    "Find the booking again below to ask for a new link.": (
        "Encontre a reserva abaixo para pedir uma nova ligação."
    ),
    "Manage booking {ref}": "Gerir a reserva {ref}",
    "Continue in this browser": "Continuar neste navegador",
    (
        "This browser will be able to see, change and cancel the booking. "
        "A browser that had it before loses it, and this link stops working."
    ): (
        "Este navegador poderá ver, alterar e cancelar a reserva. "
        "Um navegador que a tinha antes perde-a, e esta ligação deixa de funcionar."
    ),
    "Manage this booking here": "Gerir esta reserva aqui",
    "If the reference and e-mail match a booking made without an account, a link to manage it is on its "
    "way to that address.": (
        "Se a referência e o e-mail corresponderem a uma reserva feita sem conta, uma ligação para a gerir "
        "segue para esse endereço."
    ),
    "This link has expired or was used already": "Esta ligação expirou ou já foi usada",
    # CMS pages (web/guest/cms_pages.py)
    "More from the property": "Mais sobre a propriedade",
    "Draft: only editors see this page": "Rascunho: só os editores veem esta página",
    # -- services during a stay and reviews after it, Portuguese (web/guest/stay_pages.py)
    "Services": "Serviços",
    "Order what you need during your stay. It is added to your bill once delivered.": (
        "Peça o que precisar durante a estadia. É adicionado à sua conta quando for entregue."
    ),
    "Order ahead for your stay. It is added to your bill once delivered.": (
        "Peça antecipadamente para a sua estadia. É adicionado à sua conta quando for entregue."
    ),
    "needs a time": "precisa de hora",
    "No services can be ordered now.": "De momento não é possível pedir serviços.",
    "Order a service": "Pedir um serviço",
    "Service": "Serviço",
    "Choose a service": "Escolha um serviço",
    "Quantity": "Quantidade",
    "When (local time at the property)": "Quando (hora local do alojamento)",
    "Needed for: {names}.": "Necessário para: {names}.",
    "Notes (optional)": "Notas (opcional)",
    "Airport transfer or cab": "Transfer do aeroporto ou táxi",
    "Flight number": "Número do voo",
    "For an airport transfer, like TP1234.": "Para um transfer do aeroporto, como TP1234.",
    "Terminal": "Terminal",
    "Direction": "Sentido",
    "Not an airport transfer": "Não é um transfer do aeroporto",
    "Arrival: from the airport to the hotel": "Chegada: do aeroporto para o hotel",
    "Departure: from the hotel to the airport": "Partida: do hotel para o aeroporto",
    "Pickup address": "Morada de recolha",
    "For a cab: where it picks you up.": "Para um táxi: onde o vem buscar.",
    "Destination": "Destino",
    "Passengers": "Passageiros",
    "Place order": "Fazer o pedido",
    "Your orders": "Os seus pedidos",
    "No orders yet.": "Ainda sem pedidos.",
    "Cancel": "Cancelar",
    "Order services": "Pedir serviços",
    "per item": "por unidade",
    "per trip": "por viagem",
    "requested": "pedido",
    "accepted": "aceite",
    "in progress": "em curso",
    "delivered": "entregue",
    "rejected": "recusado",
    "published": "publicada",
    "From 1 to 99": "De 1 a 99",
    "Enter a date and time": "Indique a data e a hora",
    "Up to 1,000 characters": "Até 1000 caracteres",
    "A flight number like TP1234": "Um número de voo como TP1234",
    "Up to 20 characters": "Até 20 caracteres",
    "Choose arrival or departure": "Escolha chegada ou partida",
    "An address of 3 to 300 characters": "Uma morada de 3 a 300 caracteres",
    "Up to 300 characters": "Até 300 caracteres",
    "From 1 to 50": "De 1 a 50",
    "is in the past": "já passou",
    "must fall between the day before arrival and the departure day": (
        "tem de ser entre a véspera da chegada e o dia da partida"
    ),
    "an airport transfer needs the flight number": "um transfer do aeroporto precisa do número do voo",
    "a cab needs a pickup address": "um táxi precisa de uma morada de recolha",
    "Write a review": "Escrever uma avaliação",
    "How was your stay? Your review is published after the property's moderation, with your first "
    "name and initial.": (
        "Como correu a estadia? A sua avaliação é publicada depois de moderada pelo alojamento, com o "
        "seu primeiro nome e inicial."
    ),
    "Your rating": "A sua classificação",
    "{n} of 5": "{n} de 5",
    "Title (optional)": "Título (opcional)",
    "Your review": "A sua avaliação",
    "Send review": "Enviar avaliação",
    "Published on the property's page.": "Publicada na página do alojamento.",
    "Waiting for moderation: it is published once the property has read it.": (
        "A aguardar moderação: é publicada assim que o alojamento a ler."
    ),
    "Not published.": "Não publicada.",
    "Reviews are written from the account the stay was booked with.": (
        "As avaliações são escritas a partir da conta com que a estadia foi reservada."
    ),
    "Choose a rating from 1 to 5": "Escolha uma classificação de 1 a 5",
    "Up to 200 characters": "Até 200 caracteres",
    "Write a few words (up to 5,000 characters)": "Escreva algumas palavras (até 5000 caracteres)",
    "This booking has been reviewed already": "Esta reserva já foi avaliada",
    "A booking can be reviewed after check-out (or after its slot ended)": (
        "Uma reserva pode ser avaliada depois do check-out (ou depois de terminado o horário)"
    ),
    # -- end of services and reviews, Portuguese
}

#: English wording of the few keys that are codes rather than English text (policies, payment modes)
EN: dict[str, str] = {
    "policy: flexible": "flexible: full refund until 24 h before",
    "policy: moderate": "moderate: full refund until 5 days before, then 50 %",
    "policy: strict": "strict: 50 % until 7 days before",
    "policy: non_refundable": "non-refundable",
    "policy: hall_tiers": "tiers: 75 % more than 48 h before, 50 % at 24-48 h, 25 % after",
    "payment: prepay": "paid when booking",
    "payment: deposit": "a deposit when booking",
    "payment: at_property": "paid at the property",
    # -- services during a stay and reviews after it (web/guest/stay_pages.py)
    # (no codes of their own: their Portuguese texts are in PT, in the block of the same name)
    # -- end of services and reviews
    # -- sign-up and card payment with Stripe (web/guest/signup.py, web/guest/stripe_pay.py)
    # (no codes of their own: their Portuguese texts are in PT, in the block of the same name)
    # -- end of sign-up and Stripe
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "pt": PT}
